from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "classroom"
    verbose_name = "Classrooms"

    def ready(self) -> None:
        from classroom import receivers  # noqa: F401 -- connects the receivers
