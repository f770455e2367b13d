"""RJChronos driver plugin for ZTE ZXA10 OLTs (C300/C320, ZXAN)."""
