"""The RJChronos ACS: a TR-069/CWMP server for CPEs (plugin ``acs-tr069``)."""

PLUGIN = "acs-tr069"
