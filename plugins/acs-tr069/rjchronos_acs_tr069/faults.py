"""CWMP fault codes and what they mean (TR-069 Amendment 6, tables A.5 and A.6)."""

from __future__ import annotations

ACS_FAULTS = {
    8000: "Method not supported",
    8001: "Request denied (no reason specified)",
    8002: "Internal error",
    8003: "Invalid arguments",
    8004: "Resources exceeded",
    8005: "Retry request",
}

CPE_FAULTS = {
    9000: "Method not supported",
    9001: "Request denied (no reason specified)",
    9002: "Internal error",
    9003: "Invalid arguments",
    9004: "Resources exceeded",
    9005: "Invalid parameter name",
    9006: "Invalid parameter type",
    9007: "Invalid parameter value",
    9008: "Attempt to set a non-writable parameter",
    9009: "Notification request rejected",
    9010: "File transfer failure",
    9011: "Upload failure",
    9012: "File transfer server authentication failure",
    9013: "Unsupported protocol for file transfer",
    9014: "File transfer failure: unable to join multicast group",
    9015: "File transfer failure: unable to contact file server",
    9016: "File transfer failure: unable to access file",
    9017: "File transfer failure: unable to complete download",
    9018: "File transfer failure: file corrupted or otherwise unusable",
    9019: "File transfer failure: file authentication failure",
    9020: "File transfer failure: unable to complete download within specified time windows",
    9021: "Cancelation of file transfer not permitted in current transfer state",
    9022: "Invalid UUID format",
    9023: "Unknown execution environment",
    9024: "Disabled execution environment",
    9025: "Deployment unit to execution environment mismatch",
    9026: "Duplicate deployment unit",
    9027: "System resources exceeded",
    9028: "Unknown deployment unit",
    9029: "Invalid deployment unit state",
    9030: "Invalid deployment unit update: downgrade not permitted",
    9031: "Invalid deployment unit update: version not specified",
    9032: "Invalid deployment unit update: version already exists",
}


def meaning(code: int) -> str:
    """What a CWMP fault code means, vendor codes (9800-9899) included."""
    if code in CPE_FAULTS:
        return CPE_FAULTS[code]
    if code in ACS_FAULTS:
        return ACS_FAULTS[code]
    if 9800 <= code <= 9899:
        return "Vendor-specific fault"
    return "Unknown fault code"
