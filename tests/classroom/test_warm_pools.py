"""An instructor keeps environments ready for their class: the schedule it writes, what it refuses
(with the reason), cancelling, and nobody else's class seeing or cancelling it. Who may call each
URL is in the permission matrix (test_permissions.py)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from challenges.models import PoolSchedule
from challenges.services.pool import pool_target
from classroom.models import Assignment, Classroom, WarmPool
from tests.classroom.base import ClassroomTestCase


def form_time(at: object) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")  # type: ignore[arg-type]


class WarmPoolTestCase(ClassroomTestCase):
    def raise_pool(self, **data: str) -> object:
        fields = {
            "challenge": str(self.challenge("wrong-selector").pk),
            "ready": "40",
            "starts_at": form_time(timezone.now()),
            "minutes": "90",
            **data,
        }
        return self.client_for(self.ivy).post(
            reverse("classroom_warm_pool_add", args=[self.classroom.pk]), fields, follow=True
        )

    def test_the_instructor_raises_the_pool_for_a_while_and_sees_it_on_the_class_page(self) -> None:
        page = self.raise_pool().content.decode()  # type: ignore[attr-defined]
        schedule = PoolSchedule.objects.get()
        self.assertEqual((schedule.target, schedule.created_by), (40, self.ivy))
        self.assertEqual(schedule.ends_at - schedule.starts_at, timedelta(minutes=90))
        self.assertIn("40 environments of “Wrong Selector” will be kept ready", page)
        self.assertIn('data-warm-pool="', page)
        self.assertEqual(pool_target(self.challenge("wrong-selector")), 40)
        self.assertEqual(
            pool_target(self.challenge("wrong-selector"), timezone.now() + timedelta(hours=2)), 0
        )

    def test_it_refuses_with_the_reason_and_writes_nothing(self) -> None:
        unassigned = self.challenge("image-tag-typo")
        Assignment.objects.filter(classroom=self.classroom, challenge=unassigned).delete()
        cases = [
            ({"challenge": str(unassigned.pk)}, "Select a valid choice"),
            ({"ready": "0"}, "Environments ready: Ensure this value is greater than or equal to 1"),
            ({"ready": "5000"}, "less than or equal to 200"),
            ({"starts_at": "tomorrow"}, "From: Enter a valid date/time"),
            (
                {"starts_at": form_time(timezone.now() - timedelta(days=1)), "minutes": "60"},
                "That time is over already",
            ),
        ]
        for data, message in cases:
            with self.subTest(message):
                page = self.raise_pool(**data).content.decode()  # type: ignore[attr-defined]
                self.assertIn(message, page)
        self.assertFalse(PoolSchedule.objects.exists())

    def test_cancelling_removes_the_schedule_and_another_class_cannot_touch_it(self) -> None:
        self.raise_pool()
        pool = WarmPool.objects.get()
        other = Classroom.objects.create(name="Ian's class", instructor=self.ian)
        wrong = reverse("classroom_warm_pool_cancel", args=[other.pk, pool.pk])
        self.assertEqual(self.client_for(self.ian).post(wrong).status_code, 404)
        self.assertEqual(self.client_for(self.ivy).post(wrong).status_code, 404)
        self.assertTrue(PoolSchedule.objects.exists())
        mine = reverse("classroom_warm_pool_cancel", args=[self.classroom.pk, pool.pk])
        self.assertEqual(self.client_for(self.ivy).post(mine).status_code, 302)
        self.assertFalse(PoolSchedule.objects.exists())
        self.assertFalse(WarmPool.objects.exists())

    def test_a_pool_that_is_over_is_no_longer_listed(self) -> None:
        self.raise_pool()
        PoolSchedule.objects.update(
            starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
        )
        page = self.client_for(self.ivy).get(self.classroom.get_absolute_url()).content.decode()
        self.assertNotIn('data-warm-pool="', page)
        self.assertIn("Keep ready", page)
