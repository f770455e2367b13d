/** An ECharts chart; echarts is imported on first use, so it stays in its own chunk. */
import { Box } from "@mui/material";
import { useEffect, useRef } from "react";
import type { EChartsOption } from "echarts";

export function Chart({ option, height = 280, label }: { option: EChartsOption; height?: number; label: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let chart: { dispose: () => void; resize: () => void } | undefined;
    let live = true;
    const resize = () => chart?.resize();
    import("echarts").then((echarts) => {
      if (!live || !element.current) return;
      const instance = echarts.init(element.current, undefined, { renderer: "canvas" });
      instance.setOption(option);
      chart = instance;
      window.addEventListener("resize", resize);
    });
    return () => {
      live = false;
      window.removeEventListener("resize", resize);
      chart?.dispose();
    };
  }, [option]);
  return <Box ref={element} role="img" aria-label={label} sx={{ width: "100%", height }} />;
}
