"""One request to the Kubernetes API, its answer, and the one rule that classifies what failed.

`request` sends and returns any HTTP answer as it came (an `Answer`), raising only when no answer
came (`ClusterUnavailable`). `call` is a request whose answer must be a JSON object. `error` turns
an answer that is not a success into our own exception: `ClusterUnavailable` when retrying may
help (408, 429, 5xx), `ObjectInvalid` when it cannot (4xx, and the 500 the API server gives for
an object it cannot even read), with the API's own message, status and reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple, TypedDict, Unpack

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from validators.errors import ClusterUnavailable, KubeError, ObjectInvalid

Obj = dict[str, Any]
Query = Sequence[tuple[str, str]]
# (connect, read) seconds; see client.py for the policy.
TIMEOUT: tuple[float, float] = (5.0, 20.0)
JSON = "application/json"
# The API server answers 500, not 4xx, when server-side apply cannot turn the object into its
# schema's types (an unknown field, a string where a number belongs) or convert it (a fraction
# in an integer): the same object gets the same answer every time.
INVALID_OBJECT_500 = (
    "failed to create typed patch object",
    "failed to create typed live object",
    "failed to convert new object",
)


class Answer(NamedTuple):
    """An HTTP answer from the API server, its body as raw bytes: `status, data = request(...)`."""

    status: int
    data: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self, what: str) -> Obj:
        """The body of a successful answer as a JSON object.

        204 No Content is the one empty success; any other empty or non-JSON body is a cut or
        garbled answer (a proxy in the way, a connection dropped mid-body), worth another try.
        """
        if not self.data:
            if self.status == 204:
                return {}
            raise ClusterUnavailable(f"Could not {what}: the API server sent an empty answer.")
        try:
            decoded = json.loads(self.data)
        except ValueError:
            raise ClusterUnavailable(
                f"Could not {what}: the API server sent something that is not JSON."
            ) from None
        if not isinstance(decoded, dict):
            raise ObjectInvalid(
                f"Could not {what}: the API server sent an unexpected answer.", status=self.status
            )
        return decoded

    def error(self, what: str) -> KubeError:
        return error(self.status, self.data, what)


def _bytes(body: str | bytes | None) -> bytes:
    """An ApiException's body, which the client leaves as str, bytes or None depending on the path."""
    if body is None:
        return b""
    return body.encode() if isinstance(body, str) else bytes(body)


def _unreachable(what: str, cause: object) -> ClusterUnavailable:
    """No answer came. The message says how it failed, never urllib3's text, which names the API
    server's internal address; the exception's __cause__ keeps the whole story for the logs."""
    if isinstance(cause, urllib3.exceptions.MaxRetryError) and cause.reason is not None:
        cause = cause.reason
    # NewConnectionError is a ConnectTimeoutError in urllib3 2: ask about it first.
    if isinstance(cause, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        how = "the connection was refused"
    elif isinstance(cause, urllib3.exceptions.TimeoutError | TimeoutError):
        how = "it did not answer in time"
    elif isinstance(cause, urllib3.exceptions.ProtocolError | ConnectionError):
        how = "the connection was cut"
    elif isinstance(cause, urllib3.exceptions.SSLError) or "SSLError" in str(cause):
        how = "its TLS certificate was not accepted"
    else:
        how = type(cause).__name__ if isinstance(cause, BaseException) else "no answer"
    return ClusterUnavailable(f"Could not {what}: the Kubernetes API is unreachable ({how}).")


class Options(TypedDict, total=False):
    """What a request may carry besides its method and path."""

    query: Query | None
    # Sent as JSON, which every content type the API takes for objects and patches accepts
    # (application/json, apply-patch+yaml, json-patch+json, merge-patch+json).
    body: Obj | list[Any] | None
    content_type: str
    accept: str
    # Seconds, or (connect, read); TIMEOUT when not given.
    timeout: float | tuple[float, float] | None


def request(api: ApiClient, method: str, path: str, *, what: str, **options: Unpack[Options]) -> Answer:
    """Send one request and return the answer, whatever its status; ClusterUnavailable when none came."""
    body = options.get("body")
    headers = {"Accept": options.get("accept", JSON)}
    if body is not None:
        headers["Content-Type"] = options.get("content_type", JSON)
    try:
        prepared = api.param_serialize(
            method=method,
            resource_path=path,
            query_params=list(options.get("query") or []),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = api.call_api(*prepared, _request_timeout=options.get("timeout") or TIMEOUT)
        data = response.read()
    except ApiException as exc:
        # The client raises status 0 for TLS failures; a status for an answer it read itself.
        if exc.status:
            return Answer(int(exc.status), _bytes(exc.body))
        raise _unreachable(what, exc.reason) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise _unreachable(what, exc) from exc
    return Answer(int(response.status), _bytes(data))


def call(
    api: ApiClient, method: str, path: str, *, what: str, missing_ok: bool = False, **options: Unpack[Options]
) -> Obj | None:
    """A request whose answer must be a successful JSON object; None for a 404 when `missing_ok`."""
    answer = request(api, method, path, what=what, **options)
    if answer.status == 404 and missing_ok:
        return None
    if not answer.ok:
        raise answer.error(what)
    return answer.json(what)


def _status(data: bytes) -> tuple[str, str]:
    """(message, reason) of a Kubernetes Status answer; the start of any other body as the message."""
    try:
        body = json.loads(data)
    except ValueError:
        return data.decode("utf-8", errors="replace").strip()[:300], ""
    if isinstance(body, dict):
        return str(body.get("message") or ""), str(body.get("reason") or "")
    return "", ""


def status_message(data: bytes) -> str:
    """The `message` of a Kubernetes Status answer, or the start of whatever else came back."""
    return _status(data)[0]


def is_temporary(status: int, message: str = "") -> bool:
    if status == 500 and message.startswith(INVALID_OBJECT_500):
        return False
    return status in (408, 429) or status >= 500


def error(status: int, data: bytes, what: str) -> KubeError:
    """The exception for an answer that is not a success, in the API's own words."""
    message, reason = _status(data)
    text = f"Could not {what}: {message or f'HTTP {status}'}"
    if is_temporary(status, message):
        return ClusterUnavailable(text, status=status, reason=reason)
    return ObjectInvalid(text, status=status, reason=reason)
