"""The dashboard: cell states, summaries, sorting, the stuck filter, live refresh, constant queries."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from challenges.models import Attempt, Challenge, Outcome, Status
from classroom.dashboard.attempts import CellState
from classroom.dashboard.board import (
    Sort,
    Token,
    board_stats,
    dashboard,
    dashboard_delta,
    turned_stuck,
)
from classroom.dashboard.grid import Cell
from classroom.models import Assignment, Classroom
from classroom.templatetags.classroom import cell_text
from tests.classroom.base import ClassroomTestCase


class CellStateTestCase(ClassroomTestCase):
    """alice's cell for wrong-selector (objectives: routes, selector) in each situation."""

    def cell(self, slug: str = "wrong-selector", learner: User | None = None) -> Cell:
        board = dashboard(classroom=self.classroom)
        row = next(r for r in board.rows if r.learner == (learner or self.alice))
        return next(c for c in row.cells if c.challenge.slug == slug)

    def test_a_challenge_nobody_started_is_not_started(self) -> None:
        cell = self.cell()
        self.assertEqual((cell.state, cell_text(cell), cell.attempts), (CellState.NOT_STARTED, "—", 0))

    def test_a_requested_or_provisioning_environment_is_provisioning(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", Status.REQUESTED)
        self.assertEqual(self.cell().state, CellState.PROVISIONING)
        attempt.status = Status.PROVISIONING
        attempt.save()
        self.assertEqual(cell_text(self.cell()), "Provisioning")

    def test_a_ready_environment_without_checks_is_working(self) -> None:
        self.attempt_at(self.alice, "wrong-selector")
        self.assertEqual(self.cell().state, CellState.WORKING)

    def test_checks_show_how_many_objectives_pass(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        self.check_run(attempt, [False, False], ago=timedelta(minutes=2))
        self.check_run(attempt, [True, False])
        cell = self.cell()
        self.assertEqual(
            (cell.state, cell_text(cell), cell.percent), (CellState.CHECKING, "1 of 2 checks", 50)
        )

    def test_a_pending_or_failed_check_run_does_not_count(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        self.check_run(attempt, [False, False], state="error")
        self.assertEqual(self.cell().state, CellState.WORKING)

    def test_a_solved_challenge_shows_the_time(self) -> None:
        self.attempt_at(
            self.alice, "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=4, seconds=7)
        )
        cell = self.cell()
        self.assertEqual((cell.state, cell_text(cell)), (CellState.SOLVED, "✓ 4m 07s"))

    def test_solved_stays_solved_after_the_environment_is_destroyed_and_a_retry(self) -> None:
        self.attempt_at(
            self.alice,
            "wrong-selector",
            Status.DESTROYED,
            started=timedelta(hours=2),
            solved_after=timedelta(minutes=9),
        )
        self.attempt_at(self.alice, "wrong-selector", Status.READY)
        cell = self.cell()
        self.assertEqual((cell.state, cell.attempts), (CellState.SOLVED, 2))

    def test_the_best_time_counts(self) -> None:
        self.attempt_at(self.alice, "wrong-selector", Status.DESTROYED, solved_after=timedelta(minutes=9))
        self.attempt_at(self.alice, "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=3))
        self.assertEqual(self.cell().best_time, timedelta(minutes=3))

    def test_a_failed_environment_is_failed(self) -> None:
        self.make_attempt(self.alice, "wrong-selector", Status.FAILED, error="quota exceeded")
        self.assertEqual(self.cell().state, CellState.FAILED)

    def test_a_failed_environment_stays_failed_once_destroyed(self) -> None:
        self.make_attempt(
            self.alice, "wrong-selector", Status.DESTROYED, error="quota exceeded", outcome=Outcome.FAILED
        )
        self.assertEqual(self.cell().state, CellState.FAILED)

    def test_an_expired_environment_is_expired_before_and_after_teardown(self) -> None:
        now = timezone.now()
        attempt = self.make_attempt(
            self.alice, "wrong-selector", Status.EXPIRED, expires_at=now, ended_at=now
        )
        self.assertEqual(self.cell().state, CellState.EXPIRED)
        attempt.status = Status.DESTROYED
        attempt.save()
        self.assertEqual(self.cell().state, CellState.EXPIRED)

    def test_an_ended_environment_is_ended_before_and_after_teardown(self) -> None:
        now = timezone.now()
        attempt = self.make_attempt(
            self.alice, "wrong-selector", Status.ENDED, expires_at=now + timedelta(minutes=20), ended_at=now
        )
        self.assertEqual(self.cell().state, CellState.ENDED)
        attempt.status = Status.DESTROYED
        attempt.save()
        self.assertEqual(self.cell().state, CellState.ENDED)

    def test_a_new_attempt_after_a_failure_shows_the_new_attempt(self) -> None:
        self.attempt_at(
            self.alice,
            "wrong-selector",
            Status.DESTROYED,
            started=timedelta(hours=1),
            error="boom",
            outcome=Outcome.FAILED,
        )
        self.attempt_at(self.alice, "wrong-selector")
        cell = self.cell()
        self.assertEqual((cell.state, cell.attempts), (CellState.WORKING, 2))

    def test_hints_add_up_over_attempts(self) -> None:
        self.attempt_at(
            self.alice, "wrong-selector", Status.DESTROYED, started=timedelta(hours=1), hints_unlocked=2
        )
        self.attempt_at(self.alice, "wrong-selector", hints_unlocked=1)
        self.assertEqual(self.cell().hints_used, 3)

    def test_attempts_at_unassigned_challenges_stay_out(self) -> None:
        self.attempt_at(self.alice, "partial-outage")
        board = dashboard(classroom=self.classroom)
        self.assertEqual([c.challenge.slug for c in board.columns], ["wrong-selector", "expose-internally"])
        self.assertEqual(board.stats.active_cells, 0)


class StuckTestCase(ClassroomTestCase):
    """wrong-selector's estimate is 10 minutes."""

    def stuck(self) -> bool:
        board = dashboard(classroom=self.classroom)
        return board.rows[0].cells[0].stuck

    def test_within_the_estimate_nobody_is_stuck(self) -> None:
        self.attempt_at(self.alice, "wrong-selector", started=timedelta(minutes=8))
        self.assertFalse(self.stuck())

    def test_over_the_estimate_without_a_check_is_stuck(self) -> None:
        self.attempt_at(self.alice, "wrong-selector", started=timedelta(minutes=12))
        self.assertTrue(self.stuck())

    def test_over_the_estimate_with_failing_checks_only_is_stuck(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector", started=timedelta(minutes=25))
        self.check_run(attempt, [False, False], ago=timedelta(minutes=1))
        self.assertTrue(self.stuck())

    def test_recent_progress_is_not_stuck(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector", started=timedelta(minutes=25))
        self.check_run(attempt, [False, False], ago=timedelta(minutes=20))
        self.check_run(attempt, [True, False], ago=timedelta(minutes=3))
        self.assertFalse(self.stuck())

    def test_old_progress_with_nothing_since_is_stuck(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector", started=timedelta(minutes=40))
        self.check_run(attempt, [True, False], ago=timedelta(minutes=30))
        self.check_run(attempt, [True, False], ago=timedelta(minutes=1))
        self.assertTrue(self.stuck())

    def test_solved_or_finished_is_never_stuck(self) -> None:
        self.attempt_at(
            self.alice,
            "wrong-selector",
            Status.SOLVED,
            started=timedelta(hours=1),
            solved_after=timedelta(minutes=50),
        )
        self.assertFalse(self.stuck())

    def test_the_filter_keeps_only_stuck_learners(self) -> None:
        self.join(self.bob)
        self.attempt_at(self.alice, "wrong-selector", started=timedelta(minutes=30))
        self.attempt_at(self.bob, "wrong-selector", started=timedelta(minutes=2))
        board = dashboard(classroom=self.classroom, stuck_only=True)
        self.assertEqual([r.learner.username for r in board.rows], ["alice"])
        self.assertEqual((board.stats.learners, board.stats.stuck_learners), (2, 1))

    def test_the_filter_says_when_nobody_is_stuck(self) -> None:
        url = reverse("classroom_dashboard", args=[self.classroom.pk]) + "?filter=stuck"
        self.assertContains(self.client_for(self.ivy).get(url), "Nobody is stuck right now")


class StatsRuleTestCase(ClassroomTestCase):
    """A poll has the database count the stats bar and find the cells that turned stuck from the
    cells' records (board_stats, turned_stuck); the whole page counts them from the cells it
    folded. Over a varied class, at several moments, both say the same: with the records made
    whole from the grid, and with the records the writes keep."""

    def setUp(self) -> None:
        carol, dave, erin = (User.objects.create_user(name) for name in ("carol", "dave", "erin"))
        for learner in (self.bob, carol, dave, erin):
            self.join(learner)
        ws, ei = "wrong-selector", "expose-internally"
        self.attempt_at(self.alice, ws, started=timedelta(minutes=4))  # stuck in 6 minutes
        progress = self.attempt_at(self.alice, ei, started=timedelta(minutes=40))
        self.check_run(progress, [True, False])  # progress now: stuck 10 minutes on at the earliest
        failing = self.attempt_at(self.bob, ws, started=timedelta(minutes=25))
        self.check_run(failing, [False, False])  # failing checks only: stuck already
        self.attempt_at(self.bob, ei, Status.SOLVED, started=timedelta(minutes=30), solved_after=timedelta(1))
        self.attempt_at(carol, ws, Status.DESTROYED, started=timedelta(hours=2), solved_after=timedelta(1))
        self.attempt_at(carol, ws, started=timedelta(minutes=50))  # practice after solving: never stuck
        self.make_attempt(dave, ws, Status.PROVISIONING)  # on its way: active, not stuck
        self.attempt_at(dave, ei, Status.DESTROYED, started=timedelta(hours=1), outcome=Outcome.EXPIRED)
        self.attempt_at(erin, "partial-outage", started=timedelta(hours=1))  # not assigned here

    def stuck_cells(self, at: datetime) -> set[tuple[int, int]]:
        board = dashboard(classroom=self.classroom, now=at)
        return {(row.learner.pk, cell.challenge_id) for row in board.rows for cell in row.cells if cell.stuck}

    def test_the_stats_bar_and_the_cells_turning_stuck_agree_with_the_grid(self) -> None:
        now = timezone.now()
        moments = [now + timedelta(minutes=m) for m in (0, 3, 7, 12, 45, 120)]
        seen = set()
        for at in moments:
            with self.subTest(minutes_on=round((at - now).total_seconds() / 60)):
                page = dashboard(classroom=self.classroom, now=at).stats
                poll = board_stats(classroom=self.classroom, learners=page.learners, challenges=2, now=at)
                self.assertEqual(poll, page)
                seen.add((page.active_cells, page.stuck_learners))
        for since, until in itertools.pairwise(moments):
            with self.subTest(since=since, until=until):
                turned = turned_stuck(classroom=self.classroom, since=since, until=until)
                self.assertEqual(turned, self.stuck_cells(until) - self.stuck_cells(since))
        # The class is varied enough to tell a wrong rule: the counts move over time.
        self.assertGreater(len(seen), 1)

    def test_the_writes_keep_the_records_as_the_grid_says(self) -> None:
        dashboard(classroom=self.classroom)  # the records made whole once, at the layout version
        classroom = Classroom.objects.get(pk=self.classroom.pk)
        self.assertEqual(classroom.cells_version, classroom.layout_version)
        now = timezone.now()
        alices = Attempt.objects.get(learner=self.alice, challenge__slug="wrong-selector")
        self.check_run(alices, [True, False])  # progress: stuck later
        bobs = Attempt.objects.get(learner=self.bob, challenge__slug="wrong-selector")
        bobs.status, bobs.outcome, bobs.ended_at = Status.EXPIRED, Outcome.EXPIRED, now
        bobs.save()  # no longer at work: neither active nor stuck
        daves = Attempt.objects.get(learner__username="dave", challenge__slug="wrong-selector")
        daves.status, daves.ready_at = Status.READY, now - timedelta(minutes=30)
        daves.save()  # ready half an hour ago: stuck
        self.attempt_at(self.bob, "expose-internally", started=timedelta(minutes=1))  # practice: not active
        for minutes_on in (0, 15, 60):
            at = now + timedelta(minutes=minutes_on)
            with self.subTest(minutes_on=minutes_on):
                page = dashboard(classroom=classroom, now=at).stats  # from the grid, not rebuilt
                poll = board_stats(classroom=classroom, learners=page.learners, challenges=2, now=at)
                self.assertEqual(poll, page)
        self.assertEqual((page.active_cells, page.stuck_learners), (3, 2))


class SummaryTestCase(ClassroomTestCase):
    def setUp(self) -> None:
        self.carol = User.objects.create_user("carol")
        self.dave = User.objects.create_user("dave")
        for learner in (self.bob, self.carol, self.dave):
            self.join(learner)
        # wrong-selector: alice 4 min, bob 10 min, carol 6 min; dave fails the selector twice.
        self.attempt_at(self.alice, "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=4))
        self.attempt_at(self.bob, "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=10))
        carol = self.attempt_at(
            self.carol, "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=6)
        )
        self.check_run(carol, [True, False])
        dave = self.attempt_at(self.dave, "wrong-selector")
        self.check_run(dave, [False, False], ago=timedelta(minutes=2))
        self.check_run(dave, [True, False])
        # expose-internally: alice solved in 2 minutes too.
        self.attempt_at(self.alice, "expose-internally", Status.SOLVED, solved_after=timedelta(minutes=2))

    def test_a_column_counts_solved_learners_and_the_median_time(self) -> None:
        column = dashboard(classroom=self.classroom).columns[0]
        self.assertEqual((column.summary.solved, column.summary.of), (3, 4))
        self.assertEqual(column.summary.median_time, timedelta(minutes=6))

    def test_a_column_names_the_objective_that_fails_most(self) -> None:
        column = dashboard(classroom=self.classroom).columns[0]
        self.assertEqual(column.summary.failing_title, "The Service selects the frontend by its app label")
        self.assertEqual(column.summary.failing_count, 3)

    def test_a_row_counts_the_learners_solved_challenges(self) -> None:
        row = dashboard(classroom=self.classroom).rows[0]
        self.assertEqual(row.learner, self.alice)
        self.assertEqual((row.summary.solved, row.summary.of), (2, 2))
        self.assertEqual(row.summary.median_time, timedelta(minutes=3))

    def test_a_row_names_the_learners_most_failing_objective(self) -> None:
        row = next(r for r in dashboard(classroom=self.classroom).rows if r.learner == self.dave)
        self.assertEqual(row.summary.failing_title, "The Service selects the frontend by its app label")

    def test_between_objectives_failing_as_often_the_one_listed_first_is_named(self) -> None:
        erin = User.objects.create_user("erin")
        self.join(erin)
        self.check_run(self.attempt_at(erin, "wrong-selector"), [False, False])
        first = Challenge.objects.get(slug="wrong-selector").objectives[0]["title"]
        row = next(r for r in dashboard(classroom=self.classroom).rows if r.learner == erin)
        self.assertEqual((row.summary.failing_title, row.summary.failing_count), (first, 1))

    def test_sorting_by_progress_puts_the_most_advanced_first(self) -> None:
        rows = dashboard(classroom=self.classroom, sort=Sort.PROGRESS).rows
        self.assertEqual([r.learner.username for r in rows], ["alice", "bob", "carol", "dave"])
        rows = dashboard(classroom=self.classroom, sort=Sort.NEEDS_HELP).rows
        self.assertEqual([r.learner.username for r in rows], ["dave", "bob", "carol", "alice"])

    def test_the_page_shows_the_summaries(self) -> None:
        r = self.client_for(self.ivy).get(reverse("classroom_dashboard", args=[self.classroom.pk]))
        self.assertContains(r, "<b>3</b>/4 solved · median 6m 00s", html=False)
        self.assertContains(r, "✓ 4m 00s")
        self.assertContains(r, 'data-state="checking"')


TOKEN = re.compile(r'id="dash-since" name="since" value="([0-9.]+)"')


class PollTestCase(ClassroomTestCase):
    def url(self, query: str = "") -> str:
        return reverse("classroom_dashboard", args=[self.classroom.pk]) + query

    def poll(self, client: Client, query: str = "") -> HttpResponse:
        return client.get(self.url(query), headers={"HX-Request": "true"})  # type: ignore[return-value]

    def token(self, client: Client, query: str = "") -> str:
        """The version the page shows, as its poll sends it back."""
        found = TOKEN.search(self.poll(client, query).content.decode())
        assert found is not None
        return found.group(1)


class LiveRefreshTestCase(PollTestCase):
    def test_the_page_polls_its_grid_every_three_seconds(self) -> None:
        r = self.client_for(self.ivy).get(self.url())
        self.assertContains(r, 'id="grid"')
        self.assertContains(r, 'hx-trigger="every 3s"')
        self.assertContains(r, f'hx-get="{self.url()}"')
        self.assertContains(r, 'hx-include="#dash-since"')

    def test_a_poll_gets_only_the_grid(self) -> None:
        body = self.poll(self.client_for(self.ivy)).content.decode()
        self.assertTrue(body.lstrip().startswith('<div id="grid"'), body[:80])
        self.assertNotIn("<html", body)

    def test_the_poll_keeps_the_sort_and_filter(self) -> None:
        r = self.poll(self.client_for(self.ivy), "?sort=progress&filter=stuck")
        self.assertContains(r, 'hx-get="' + self.url("?sort=progress&amp;filter=stuck") + '"')

    def test_an_unknown_sort_falls_back_to_names(self) -> None:
        r = self.client_for(self.ivy).get(self.url("?sort=evil"))
        self.assertEqual(r.status_code, 200)

    def test_a_poll_sees_a_cell_change(self) -> None:
        client = self.client_for(self.ivy)
        self.assertContains(self.poll(client), 'data-state="not-started"', 2)
        self.attempt_at(self.alice, "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=1))
        self.assertContains(self.poll(client), 'data-state="solved"', 1)

    def test_a_poll_with_nothing_new_answers_204(self) -> None:
        client = self.client_for(self.ivy)
        since = self.token(client)
        r = self.poll(client, f"?since={since}")
        self.assertEqual(r.status_code, 204)
        self.assertEqual(r.content, b"")

    def test_the_page_without_htmx_never_answers_204(self) -> None:
        client = self.client_for(self.ivy)
        since = self.token(client)
        self.assertEqual(client.get(self.url(f"?since={since}")).status_code, 200)

    def test_the_cells_link_to_the_drilldown(self) -> None:
        r = self.client_for(self.ivy).get(self.url())
        drill = reverse("classroom_drilldown", args=[self.classroom.pk, self.alice.pk, "wrong-selector"])
        self.assertContains(r, f'href="{drill}"')

    def test_every_state_change_moves_the_version(self) -> None:
        client = self.client_for(self.ivy)
        attempt = self.make_attempt(self.alice, "wrong-selector", Status.REQUESTED)
        seen = {self.token(client).partition(".")[0]}
        now = timezone.now()
        for status, field in (
            (Status.PROVISIONING, "provisioning_at"),
            (Status.READY, "ready_at"),
            (Status.SOLVED, "solved_at"),
            (Status.ENDED, "ended_at"),
            (Status.DESTROYED, "destroyed_at"),
        ):
            now += timedelta(seconds=1)
            attempt.transition(from_=attempt.status, to=status, **{field: now})
            seen.add(self.token(client).partition(".")[0])
        self.join(self.bob)
        seen.add(self.token(client).partition(".")[0])
        self.assertEqual(len(seen), 7)


class DeltaTestCase(PollTestCase):
    """A poll that names the version it shows gets only what changed since."""

    def setUp(self) -> None:
        self.join(self.bob)
        self.attempt = self.attempt_at(self.alice, "wrong-selector")
        self.client_ = self.client_for(self.ivy)
        self.since = self.token(self.client_)
        self.ws = Challenge.objects.get(slug="wrong-selector")
        self.ei = Challenge.objects.get(slug="expose-internally")

    def test_a_poll_after_one_check_run_carries_only_that_cell(self) -> None:
        self.check_run(self.attempt, [True, False])
        r = self.poll(self.client_, f"?since={self.since}")
        body = r.content.decode()
        self.assertEqual((r.status_code, r["HX-Reswap"]), (200, "none"))
        cells = re.findall(r'<td id="(c\d+-\d+)" hx-swap-oob="true"', body)
        self.assertEqual(cells, [f"c{self.alice.pk}-{self.ws.pk}"])
        self.assertIn("1 of 2 checks", body)
        # Its row's head and summary, its column's head, the stats bar, the new version.
        self.assertIn(f'<th id="h{self.alice.pk}" hx-swap-oob="true"', body)
        self.assertIn(f'<td id="s{self.alice.pk}" hx-swap-oob="true"', body)
        self.assertIn(f'<th id="ch{self.ws.pk}" class="col-head"', body)
        self.assertNotIn(f'id="ch{self.ei.pk}"', body)
        self.assertNotIn(f'id="h{self.bob.pk}"', body)
        self.assertIn('id="dash-stats"', body)
        self.assertNotIn('id="grid"', body)
        since = TOKEN.search(body)
        assert since is not None
        self.assertNotEqual(since.group(1), self.since)
        # And then nothing is new.
        self.assertEqual(self.poll(self.client_, f"?since={since.group(1)}").status_code, 204)

    def test_an_attempt_deleted_sends_its_cell_as_not_started(self) -> None:
        self.check_run(self.attempt, [True, False])
        since = TOKEN.search(self.poll(self.client_, f"?since={self.since}").content.decode())
        assert since is not None
        self.attempt.delete()  # as staff do in the admin
        r = self.poll(self.client_, f"?since={since.group(1)}")
        body = r.content.decode()
        self.assertEqual(r.status_code, 200)
        cells = re.findall(r'<td id="(c\d+-\d+)" hx-swap-oob="true"', body)
        self.assertEqual(cells, [f"c{self.alice.pk}-{self.ws.pk}"])
        self.assertIn('data-state="not-started"', body)
        # The stats bar the poll counts from the cells' records agrees with a reload.
        self.assertEqual(dashboard(classroom=self.classroom).stats.active_cells, 0)
        self.assertIn("<strong>0</strong><span>working now</span>", body)

    def test_a_check_run_deleted_sends_its_cell(self) -> None:
        self.check_run(self.attempt, [True, False])
        latest = self.check_run(self.attempt, [True, True])
        since = TOKEN.search(self.poll(self.client_, f"?since={self.since}").content.decode())
        assert since is not None
        latest.delete()  # as staff do in the admin, once its environment is gone
        r = self.poll(self.client_, f"?since={since.group(1)}")
        self.assertEqual(r.status_code, 200)
        cells = re.findall(r'<td id="(c\d+-\d+)" hx-swap-oob="true"', r.content.decode())
        self.assertEqual(cells, [f"c{self.alice.pk}-{self.ws.pk}"])

    def test_a_change_in_another_classroom_is_not_this_ones(self) -> None:
        other = Classroom.objects.create(name="Other", instructor=self.ivy)
        Assignment.objects.create(classroom=other, challenge=self.ws)
        carol = User.objects.create_user("carol")
        self.join(carol, other)
        self.attempt_at(carol, "wrong-selector")
        self.assertEqual(self.poll(self.client_, f"?since={self.since}").status_code, 204)

    def test_a_learner_at_an_unassigned_challenge_moves_nothing(self) -> None:
        self.attempt_at(self.bob, "partial-outage")
        self.assertEqual(self.poll(self.client_, f"?since={self.since}").status_code, 204)

    def test_a_learner_joining_sends_the_whole_grid(self) -> None:
        self.join(User.objects.create_user("carol"))
        body = self.poll(self.client_, f"?since={self.since}").content.decode()
        self.assertTrue(body.lstrip().startswith('<div id="grid"'), body[:80])
        self.assertIn("carol", body)

    def test_new_content_for_an_assigned_challenge_sends_the_whole_grid(self) -> None:
        self.ws.estimated_minutes = 1  # alice has been at it for 5 minutes: stuck now
        self.ws.save()
        body = self.poll(self.client_, f"?since={self.since}").content.decode()
        self.assertTrue(body.lstrip().startswith('<div id="grid"'), body[:80])
        # And the cells' records were made again by the new rule, so the next polls count it.
        classroom = Classroom.objects.get(pk=self.classroom.pk)
        stats = board_stats(classroom=classroom, learners=2, challenges=2, now=timezone.now())
        self.assertEqual(stats.stuck_learners, 1)

    def test_a_token_it_cannot_trust_sends_the_whole_grid(self) -> None:
        version, _, at = self.since.partition(".")
        for token in ("garbage", f"{int(version) + 5}.{at}", f"{version}.{int(at) + 3600}", "1" * 50):
            with self.subTest(token=token):
                body = self.poll(self.client_, f"?since={token}").content.decode()
                self.assertTrue(body.lstrip().startswith('<div id="grid"'), body[:80])

    def test_a_cell_that_turns_stuck_with_time_alone_is_sent(self) -> None:
        token = Token.parse(self.since)
        assert token is not None
        later = timezone.now() + timedelta(minutes=30)  # past wrong-selector's 10-minute estimate
        delta = dashboard_delta(classroom=Classroom.objects.get(pk=self.classroom.pk), since=token, now=later)
        self.assertFalse(delta.whole)
        self.assertEqual([(row.learner, cell.stuck) for row, cell in delta.cells], [(self.alice, True)])
        assert delta.stats is not None
        self.assertEqual(delta.stats.stuck_learners, 1)

    def test_under_the_stuck_filter_a_learner_turning_stuck_sends_the_whole_grid(self) -> None:
        since = self.token(self.client_, "?filter=stuck")
        Attempt.objects.filter(pk=self.attempt.pk).update(ready_at=timezone.now() - timedelta(minutes=40))
        self.attempt.changed()
        body = self.poll(self.client_, f"?filter=stuck&since={since}").content.decode()
        self.assertTrue(body.lstrip().startswith('<div id="grid"'), body[:80])
        self.assertIn(f'name="shown" value="{self.alice.pk}"', body)

    def test_the_rows_carry_their_sort_figures_for_the_browser(self) -> None:
        self.check_run(self.attempt, [True, False])
        body = self.poll(self.client_, f"?sort=progress&since={self.since}").content.decode()
        self.assertIn('data-solved="0" data-score="0.45"', body)

    def test_another_instructor_polling_with_a_token_is_refused(self) -> None:
        for user in (self.ian, self.alice):
            with self.subTest(user=user.username):
                r = self.poll(self.client_for(user), f"?since={self.since}")
                self.assertIn(r.status_code, (403, 404))
                self.assertNotIn(b"dash-since", r.content)


class QueryCountTestCase(PollTestCase):
    def add_learners(self, count: int) -> None:
        for i in range(count):
            learner = User.objects.create_user(f"learner{self.added + i:03d}")
            self.join(learner)
            attempt = self.attempt_at(learner, "wrong-selector", hints_unlocked=1)
            self.check_run(attempt, [True, False])
            self.attempt_at(learner, "expose-internally", Status.SOLVED, solved_after=timedelta(minutes=3))
        self.added += count

    def queries(self, *, htmx: bool, since: str = "") -> tuple[int, int]:
        client = self.client_for(self.ivy)
        headers = {"HX-Request": "true"} if htmx else {}
        url = self.url(f"?since={since}" if since else "")
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, headers=headers)
        return len(ctx.captured_queries), response.status_code

    def measure(self) -> tuple[tuple[int, int], ...]:
        client = self.client_for(self.ivy)
        page = self.queries(htmx=False)
        since = self.token(client)
        quiet = self.queries(htmx=True, since=since)
        run = self.check_run(Attempt.objects.filter(learner__username="learner000").first(), [False, True])  # type: ignore[arg-type]
        delta = self.queries(htmx=True, since=since)
        run.delete()
        return page, quiet, delta

    def test_the_dashboard_runs_the_same_queries_for_3_or_30_learners(self) -> None:
        self.added = 0
        self.add_learners(2)
        small = self.measure()
        self.add_learners(28)
        large = self.measure()
        self.assertEqual(small, large)
        page, quiet, delta = large
        self.assertEqual((page[1], quiet[1], delta[1]), (200, 204, 200))
        self.assertLessEqual(quiet[0], 10)
        self.assertLessEqual(delta[0], 14)
