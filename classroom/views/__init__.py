"""Classroom pages, one module per part of the product: classrooms (list, create, manage),
joining, the dashboard, the drill-down (with the instructor's actions), the exports, and the
profile's section. Who may see what is decided in classroom.access."""
