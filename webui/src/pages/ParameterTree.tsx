/** A CPE's parameters as a tree by dotted path, filtered by name or value. */
import { Box, IconButton, Typography } from "@mui/material";
import EditIcon from "@mui/icons-material/Edit";
import { useMemo } from "react";

export interface Parameter {
  path: string;
  value: unknown;
  type: string;
  writable: boolean | null;
  read_at: string | null;
}

export interface ParameterNode {
  name: string;
  path: string;
  parameter?: Parameter;
  children: Map<string, ParameterNode>;
}

export function buildTree(parameters: Parameter[], filter = ""): ParameterNode {
  const needle = filter.trim().toLowerCase();
  const root: ParameterNode = { name: "", path: "", children: new Map() };
  for (const parameter of parameters) {
    if (needle && !parameter.path.toLowerCase().includes(needle) && !String(parameter.value ?? "").toLowerCase().includes(needle)) continue;
    let node = root;
    const parts = parameter.path.split(".").filter(Boolean);
    parts.forEach((part, index) => {
      let child = node.children.get(part);
      if (!child) {
        child = { name: part, path: parts.slice(0, index + 1).join("."), children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    });
    node.parameter = parameter;
  }
  return root;
}

/** A value typed for SetParameterValues: booleans and integers by the parameter's CWMP type. */
export function typedValue(parameter: Parameter, text: string): string | number | boolean {
  const type = parameter.type.toLowerCase();
  if (type === "boolean") return ["1", "true"].includes(text.trim().toLowerCase());
  if (/int$/.test(type) && /^-?\d+$/.test(text.trim())) return Number.parseInt(text, 10);
  return text;
}

type Edit = (parameter: Parameter) => void;

export function ParameterTree({
  parameters,
  filter,
  onEdit,
  editLabel = "edit",
}: {
  parameters: Parameter[];
  filter: string;
  onEdit?: Edit;
  editLabel?: string;
}) {
  const root = useMemo(() => buildTree(parameters, filter), [parameters, filter]);
  return (
    <Box data-testid="parameter-tree" sx={{ fontFamily: "monospace", fontSize: 13 }}>
      {[...root.children.values()].map((node) => (
        <Node key={node.path} node={node} open={Boolean(filter) || root.children.size === 1} onEdit={onEdit} editLabel={editLabel} />
      ))}
    </Box>
  );
}

function Node({ node, open, onEdit, editLabel }: { node: ParameterNode; open: boolean; onEdit?: Edit; editLabel: string }) {
  if (node.children.size === 0)
    return (
      <Box sx={{ pl: 2, py: 0.25, display: "flex", gap: 1, flexWrap: "wrap" }}>
        <span>{node.name}</span>
        <Typography component="span" variant="body2" color="text.secondary" sx={{ fontFamily: "inherit" }}>
          = {String(node.parameter?.value ?? "")}
        </Typography>
        {onEdit && node.parameter && node.parameter.writable !== false && (
          <IconButton size="small" aria-label={`${editLabel} ${node.path}`} onClick={() => onEdit(node.parameter!)} sx={{ p: 0.25 }}>
            <EditIcon fontSize="inherit" />
          </IconButton>
        )}
      </Box>
    );
  return (
    <Box component="details" open={open} sx={{ pl: 2 }}>
      <summary>
        {node.name} <small>({node.children.size})</small>
      </summary>
      {[...node.children.values()].map((child) => (
        <Node key={child.path} node={child} open={open} onEdit={onEdit} editLabel={editLabel} />
      ))}
    </Box>
  );
}
