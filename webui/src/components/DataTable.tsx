/**
 * A table over a cursor-paginated API list: server-side filters and pages. A column the API
 * sorts by (`serverSort`) is sorted by the server across pages (`sort=key` or `sort=-key`);
 * any other column sorts the page shown.
 */
import {
  Box,
  Button,
  Checkbox,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TableSortLabel,
} from "@mui/material";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import type { Page } from "../api";
import { formatValue } from "../format";
import { useGet } from "../hooks";
import { useI18n } from "../i18n";
import { StateView } from "./StateView";

export interface Column<T> {
  key: string;
  label: string;
  render?: (row: T) => ReactNode;
}

type Row = Record<string, unknown>;

export function DataTable<T extends Row>({
  path,
  query,
  columns,
  pageSize = 25,
  onRowClick,
  rowKey = "id",
  label,
  refreshMs,
  selected,
  onSelect,
  serverSort = [],
}: {
  path: string;
  query?: Record<string, string | number | undefined>;
  columns: Column<T>[];
  pageSize?: number;
  onRowClick?: (row: T) => void;
  rowKey?: string;
  label: string;
  refreshMs?: number;
  /** Rows can be ticked; the ids of the ticked rows of this page go to `onSelect`. */
  selected?: string[];
  onSelect?: (ids: string[]) => void;
  /** Keys of the columns the API sorts by. */
  serverSort?: string[];
}) {
  const { t, locale } = useI18n();
  const [cursors, setCursors] = useState<string[]>([]);
  const [sort, setSort] = useState<{ key: string; desc: boolean } | null>(null);
  const byServer = sort !== null && serverSort.includes(sort.key);
  const sortParam = byServer && sort ? `${sort.desc ? "-" : ""}${sort.key}` : undefined;
  const queryKey = JSON.stringify(query ?? {});
  useEffect(() => setCursors([]), [path, queryKey, sortParam]);
  const selectable = Boolean(onSelect && selected);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useGet<Page<T> | T[]>(
    path,
    { ...query, sort: sortParam, limit: pageSize, cursor },
    refreshMs,
  );
  const items = useMemo(() => {
    const rows: T[] = Array.isArray(data) ? data : (data?.items ?? []);
    if (!sort || byServer) return rows;
    return [...rows].sort((a, b) => {
      const left = String(a[sort.key] ?? "");
      const right = String(b[sort.key] ?? "");
      return (sort.desc ? -1 : 1) * left.localeCompare(right, locale, { numeric: true });
    });
  }, [data, sort, byServer, locale]);
  const next = Array.isArray(data) ? null : data?.next_cursor;
  return (
    <StateView loading={loading && !data} error={error} empty={!loading && items.length === 0}>
      <TableContainer>
        <Table size="small" aria-label={label}>
          <TableHead>
            <TableRow>
              {selectable && (
                <TableCell padding="checkbox">
                  <Checkbox
                    size="small"
                    checked={items.length > 0 && items.every((row) => selected!.includes(String(row[rowKey])))}
                    onChange={(event) => onSelect!(event.target.checked ? items.map((row) => String(row[rowKey])) : [])}
                    slotProps={{ input: { "aria-label": t("common.selectAll") } }}
                  />
                </TableCell>
              )}
              {columns.map((column) => (
                <TableCell key={column.key}>
                  <TableSortLabel
                    active={sort?.key === column.key}
                    direction={sort?.key === column.key && sort.desc ? "desc" : "asc"}
                    data-testid={`sort-${column.key}`}
                    onClick={() => {
                      // A cursor belongs to one order: a new order starts at its first page.
                      setCursors([]);
                      setSort((now) => ({
                        key: column.key,
                        desc: now?.key === column.key ? !now.desc : false,
                      }));
                    }}
                  >
                    {column.label}
                  </TableSortLabel>
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {items.map((row, index) => (
              <TableRow
                key={String(row[rowKey] ?? index)}
                hover={Boolean(onRowClick)}
                onClick={onRowClick ? () => onRowClick(row) : undefined}
                sx={onRowClick ? { cursor: "pointer" } : undefined}
              >
                {selectable && (
                  <TableCell padding="checkbox" onClick={(event) => event.stopPropagation()}>
                    <Checkbox
                      size="small"
                      checked={selected!.includes(String(row[rowKey]))}
                      onChange={(event) => {
                        const id = String(row[rowKey]);
                        onSelect!(event.target.checked ? [...selected!, id] : selected!.filter((one) => one !== id));
                      }}
                      slotProps={{ input: { "aria-label": `${t("common.select")} ${String(row.name || row[rowKey])}` } }}
                    />
                  </TableCell>
                )}
                {columns.map((column) => (
                  <TableCell key={column.key}>
                    {column.render ? column.render(row) : formatValue(row[column.key], locale)}
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      {(cursors.length > 0 || next) && (
      <Box sx={{ display: "flex", gap: 1, justifyContent: "flex-end", p: 1 }}>
        <Button size="small" disabled={cursors.length === 0} onClick={() => setCursors([])}>
          {t("common.first")}
        </Button>
        <Button
          size="small"
          disabled={!next}
          onClick={() => next && setCursors((list) => [...list, next])}
        >
          {t("common.next")}
        </Button>
      </Box>
      )}
    </StateView>
  );
}
