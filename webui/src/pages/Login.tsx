/** Sign-in: sets the session cookie; the CSRF token comes with it. */
import { Alert, Box, Button, Card, CardContent, MenuItem, TextField, Typography } from "@mui/material";
import { useState, type FormEvent } from "react";
import { ApiError } from "../api";
import { useI18n, type Locale } from "../i18n";
import { useSession } from "../session";

export function Login() {
  const { login } = useSession();
  const { t, locale, setLocale } = useI18n();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [needsTotp, setNeedsTotp] = useState(false);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      await login(username, password, totp || undefined);
    } catch (reason) {
      if (reason instanceof ApiError && reason.body.totp_required) setNeedsTotp(true);
      else setError(reason instanceof ApiError && reason.status === 429 ? reason.detail : t("login.failed"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box component="main" sx={{ minHeight: "100vh", display: "grid", placeItems: "center", p: 2 }}>
      <Card sx={{ width: "100%", maxWidth: 380 }}>
        <CardContent component="form" onSubmit={submit} sx={{ display: "grid", gap: 2 }}>
          <Typography variant="h5" component="h1">
            RJChronos — {t("login.title")}
          </Typography>
          <TextField label={t("login.username")} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
          <TextField label={t("login.password")} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          {needsTotp && (
            <TextField label={t("login.totp")} name="totp" inputMode="numeric" value={totp} onChange={(e) => setTotp(e.target.value)} required />
          )}
          {error && <Alert severity="error">{error}</Alert>}
          <Button type="submit" variant="contained" disabled={busy}>
            {t("login.submit")}
          </Button>
          <TextField select size="small" label={t("shell.language")} value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
            <MenuItem value="pt-BR">Português</MenuItem>
            <MenuItem value="en">English</MenuItem>
          </TextField>
        </CardContent>
      </Card>
    </Box>
  );
}
