/** Keeps one failing panel from taking the page down. */
import { Alert } from "@mui/material";
import { Component, type ReactNode } from "react";

interface Props {
  title: string;
  children: ReactNode;
}

export class ErrorBoundary extends Component<Props, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error) {
    console.warn(`panel failed: ${error.message}`);
  }

  render() {
    if (this.state.error)
      return (
        <Alert severity="warning" data-testid="panel-error">
          {this.props.title}: {this.state.error.message}
        </Alert>
      );
    return this.props.children;
  }
}
