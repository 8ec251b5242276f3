from tests.classroom.test_dashboard import LiveRefreshTestCase
from classroom import selectors

class T(LiveRefreshTestCase):
    def test_dbg(self) -> None:
        client = self.client_for(self.ivy)
        since = self.version(client)
        print("page", since, selectors.dashboard_version(classroom=self.classroom), selectors.dashboard_version(classroom=self.classroom))
