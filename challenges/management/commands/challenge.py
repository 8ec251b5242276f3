"""`python manage.py challenge new|schema|lint|apply|check|prove`: the author's tools, against any cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

import validators
from challenges.backends import BACKENDS, gives_whole_cluster
from challenges.choices import ChallengeType, Difficulty, Theme
from challenges.loader import ContentError, LoadedChallenge, load_all
from challenges.scaffold import SCHEMA_FILE, ScaffoldError, scaffold, schema_text
from challenges.services import authoring
from validators.kube import client_from_file


class Command(BaseCommand):
    help = "Lint, apply, check and prove challenges against a cluster (default: the local control plane)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kubeconfig", default=None, help="default: BREAKFIX_KUBECONFIG")
        parser.add_argument("--content-dir", type=Path, default=None, help="default: BREAKFIX_CONTENT_DIR")
        parser.add_argument(
            "--backend",
            choices=BACKENDS,
            default=None,
            help="judge content for this backend (default: BREAKFIX_BACKEND); only kind gives each "
            "attempt a whole cluster, where cluster-scoped objects are allowed",
        )
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new", help="scaffold a challenge folder that lints clean, to make your own")
        new.add_argument("slug")
        new.add_argument("--title", default=None, help="default: the slug in words")
        new.add_argument("--theme", choices=Theme.values, default=Theme.PODS.value)
        new.add_argument("--difficulty", choices=Difficulty.values, default=Difficulty.EASY.value)
        new.add_argument("--type", dest="kind", choices=ChallengeType.values, default=ChallengeType.FIX.value)
        schema = sub.add_parser("schema", help="the JSON Schema of challenge.yaml, for editors")
        schema.add_argument(
            "--write", action="store_true", help=f"write it to the content folder's {SCHEMA_FILE}"
        )
        lint = sub.add_parser("lint", help="schema, manifests, guards, solution and objective references")
        lint.add_argument("slugs", nargs="*")
        apply = sub.add_parser(
            "apply", help="server-side apply the broken state and guards (or the solution)"
        )
        apply.add_argument("slug")
        apply.add_argument("--namespace", "-n", required=True)
        apply.add_argument("--solution", action="store_true")
        check = sub.add_parser("check", help="run every objective; exit 0 when all pass, 1 when any fails")
        check.add_argument("slug")
        check.add_argument("--namespace", "-n", required=True)
        check.add_argument("--json", action="store_true")
        prove = sub.add_parser(
            "prove", help="broken state fails, solution passes, twice, in fresh namespaces"
        )
        prove.add_argument("slugs", nargs="*")
        prove.add_argument("--all", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        self.content_dir: Path = options["content_dir"] or settings.BREAKFIX_CONTENT_DIR
        self.kubeconfig: str = options["kubeconfig"] or settings.BREAKFIX_KUBECONFIG
        self.whole_cluster = gives_whole_cluster(options["backend"])
        action = options["action"]
        try:
            getattr(self, f"do_{action}")(**options)
        except (
            authoring.ChallengeNotFound,
            authoring.ChallengeInvalid,
            ContentError,
            ScaffoldError,
        ) as error:
            raise CommandError(str(error), returncode=2) from error
        except validators.ValidatorError as error:
            raise CommandError(f"the cluster answered: {error}", returncode=2) from error

    def load(self, slug: str) -> LoadedChallenge:
        return authoring.challenge_load(
            content_dir=self.content_dir, slug=slug, whole_cluster=self.whole_cluster
        )

    def selected(self, slugs: list[str], *, every: bool = True) -> list[LoadedChallenge]:
        if slugs:
            return [self.load(slug) for slug in slugs]
        if not every:
            raise CommandError("name at least one challenge, or pass --all", returncode=2)
        return load_all(self.content_dir, whole_cluster=self.whole_cluster)

    def do_new(
        self, *, slug: str, title: str | None, theme: str, difficulty: str, kind: str, **_: Any
    ) -> None:
        words = title or slug.replace("-", " ").capitalize()
        folder = scaffold(self.content_dir, slug, title=words, theme=theme, difficulty=difficulty, kind=kind)
        self.do_lint(slugs=[slug])
        self.stdout.write(f"wrote {folder}: make it yours, then `challenge prove {slug}`")

    def do_schema(self, *, write: bool, **_: Any) -> None:
        if write:
            (self.content_dir / SCHEMA_FILE).write_text(schema_text(), encoding="utf-8")
            self.stdout.write(f"wrote {self.content_dir / SCHEMA_FILE}")
        else:
            self.stdout.write(schema_text(), ending="")

    def do_lint(self, *, slugs: list[str], **_: Any) -> None:
        challenges = self.selected(slugs)
        problems = [p for c in challenges for p in authoring.challenge_lint(challenge=c)]
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"{len(challenges)} challenge(s) lint clean"))

    def do_apply(self, *, slug: str, namespace: str, solution: bool, **_: Any) -> None:
        challenge = self.load(slug)
        api = client_from_file(self.kubeconfig)
        authoring.namespace_create(api, name=namespace, labels={"breakfix.dev/authoring": "true"})
        count = authoring.challenge_apply(
            api_client=api, challenge=challenge, namespace=namespace, solution=solution
        )
        what = "solution" if solution else "broken state and guards"
        self.stdout.write(f"applied the {what} of {slug} to {namespace}: {count} object(s)")

    def do_check(self, *, slug: str, namespace: str, json: bool, **_: Any) -> None:
        challenge = self.load(slug)
        results = authoring.challenge_check(
            api_client=client_from_file(self.kubeconfig), challenge=challenge, namespace=namespace
        )
        passed = all(r.passed for r in results)
        if json:
            self.stdout.write(_json_report(slug, passed, results))
        else:
            for r in results:
                mark = self.style.SUCCESS("PASS") if r.passed else self.style.ERROR("FAIL")
                self.stdout.write(f"{mark} {r.key}: {r.message}")
        if not passed:
            raise SystemExit(1)

    def do_prove(self, *, slugs: list[str], all: bool, **_: Any) -> None:
        if slugs and all:
            raise CommandError("give challenge names or --all, not both", returncode=2)
        challenges = self.selected(slugs, every=all)
        api = client_from_file(self.kubeconfig)
        unproven = []
        for challenge in challenges:
            proof = authoring.challenge_prove(api_client=api, challenge=challenge)
            for step in proof.steps:
                state = "ok" if not step.problems else "FAILED"
                self.stdout.write(f"{challenge.slug} round {step.round} {step.stage}: {state}")
                for problem in step.problems:
                    self.stdout.write(f"    {problem}")
            if proof.error:
                self.stdout.write(f"{challenge.slug}: {proof.error}")
            if proof.proven:
                self.stdout.write(self.style.SUCCESS(f"{challenge.slug}: proven"))
            else:
                unproven.append(challenge.slug)
        if unproven:
            raise CommandError(f"not proven: {', '.join(unproven)}", returncode=1)


def _json_report(slug: str, passed: bool, results: list[validators.ObjectiveResult]) -> str:
    return json.dumps(
        {
            "challenge": slug,
            "passed": passed,
            "objectives": [{"key": r.key, "passed": r.passed, "message": r.message} for r in results],
        },
        indent=2,
    )
