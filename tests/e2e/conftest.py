import pytest

from simulators.harness import InProcessHarness
from simulators.scenario import Lifecycle


def make(payment_sync="webhook", system_of_record="erp", **settings):
    h = InProcessHarness(integration={"payment_sync": payment_sync, "system_of_record": system_of_record,
                                      "poll_interval": 300, **settings})
    h.start()
    o2c = Lifecycle(h, system_of_record)
    o2c.install_integration()
    return h, o2c


@pytest.fixture
def world(request):
    params = getattr(request, "param", {})
    h, o2c = make(**params)
    yield o2c
    h.stop()
