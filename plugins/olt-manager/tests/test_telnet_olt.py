"""An OLT reached over Telnet with an ``enable`` password, through the API and the collector."""

from __future__ import annotations

from typing import Any

from olt_testkit import RunningOlt
from sqlalchemy import select
from test_collector import add_olt, collect, onus

from rjchronos_olt_manager.models import OltConnection


def test_a_zte_olt_over_telnet_with_an_enable_password(api: Any, olt_kernel: Any) -> None:
    with RunningOlt(
        "zte", ports=1, onus_per_port=2, telnet_port=0, enable_password="en-s3cret"
    ) as olt:
        assert olt.sim.telnet_port
        body = olt.olt_body(
            transport="telnet",
            telnet_port=olt.sim.telnet_port,
            ssh_port=1,  # nothing listens there: the CLI must go over Telnet
            enable_password="en-s3cret",
            snmp_tree="1082",
        )
        olt_id = add_olt(api, olt, **body)
        shown = api.get(f"/api/v1/olts/{olt_id}").json()
        assert shown["transport"] == "telnet" and shown["enable_password_set"] is True
        assert shown["snmp_tree"] == "1082" and "en-s3cret" not in str(shown)
        with olt_kernel.db.session() as session:
            row = session.execute(select(OltConnection)).scalars().one()
            assert (
                row.enable_password_encrypted and "en-s3cret" not in row.enable_password_encrypted
            )

        assert api.post(f"/api/v1/olts/{olt_id}/test").json()["ok"] is True
        result = collect(olt_kernel, olt_id)
        assert result["ok"] is True and result["onus"] == 2
        assert set(onus(olt_kernel, olt_id)) == {o.serial for o in olt.sim.state.all_onus()}
        backup = api.post(f"/api/v1/olts/{olt_id}/config-backups")  # over the Telnet CLI
        assert backup.status_code == 201, backup.text

        wrong = api.patch(f"/api/v1/olts/{olt_id}", json={"enable_password": "nope"})
        assert wrong.status_code == 200, wrong.text
        refused = api.post(f"/api/v1/olts/{olt_id}/config-backups")
        assert refused.status_code == 502 and "enable password" in refused.json()["detail"]

        bad = api.patch(f"/api/v1/olts/{olt_id}", json={"transport": "rsh"})
        assert bad.status_code == 422
        assert bad.json()["invalid_params"][0]["name"] == "body.transport"
