"""RJChronos driver plugin for Huawei SmartAX OLTs (MA5600T, MA5800, EA5800)."""
