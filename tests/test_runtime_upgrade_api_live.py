"""Network.upgrade_runtime on its own chain (v101's development preset under chopsticks): the set-code
method, and the same Network object working with the new runtime afterwards."""

from __future__ import annotations

import pytest

from tests.chopsticks import rpc
from tests.test_runtime_upgrade import V102
from tests.test_runtime_upgrade_live import build_a_block_once_upgraded, v101_chain

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    yield from v101_chain(tmp_path_factory)


def test_set_code_upgrades_and_the_same_network_then_reads_with_the_new_metadata(chain):
    from fennel_gov.governance.api import connect
    from fennel_gov.keys import pair_from_suri

    alice = pair_from_suri("//Alice", "sr25519")
    with connect(chain.url) as net:
        assert net.status().session_period == 50  # v101's ValidatorManager.SessionPeriod
        build = build_a_block_once_upgraded(chain)
        receipt = net.upgrade_runtime(V102.read_bytes(), signer=alice, method="set-code", allow_spec_name_change=True,
                                      wait="effective", timeout=120)
        build.join(60)
        assert receipt.system_call == "set_code_without_checks" and receipt.authorize is None
        events = [f"{e['pallet']}.{e['event']}" for e in receipt.upgrade.events]
        assert "System.CodeUpdated" in events and "Sudo.Sudid" in events
        assert (receipt.runtime_version["specName"], receipt.runtime_version["specVersion"]) == ("fennel", 102)
        assert receipt.effective_block == receipt.upgrade_block + 1
        assert net.status().session_period == 30  # v102's: the connection loaded the new metadata
    assert rpc(chain.url, "state_getRuntimeVersion")["specVersion"] == 102
