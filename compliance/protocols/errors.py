"""The protocols' refusals: stable codes (governance.errors.SightguardError) in each spec's body."""

from governance.errors import SightguardError


class DrpError(SightguardError):
    """DRP 3.06: body {"code": "<http status>", "message", "fatal"}; our stable code rides in "error"."""

    fatal = False

    def __init__(self, detail: str, *, code: str, status: int = 400, fatal: bool = False):
        super().__init__(detail, code=code, status=status)
        self.fatal = fatal

    def body(self) -> dict:
        return {"code": str(self.status), "message": self.detail, "fatal": self.fatal, "error": self.code}


class PairingRefused(SightguardError):
    """DRP 2.05: any failure of the pair-wise key setup is a 403 with an empty body."""

    code, status, detail = "drp_pairing_refused", 403, "Pairing refused."


class OpenDsrError(SightguardError):
    """OpenDSR 7.6: body {"error": {"code": <int>, "message", "errors": [{"domain", "reason", "message"}]}}."""

    def __init__(self, detail: str, *, code: str, status: int = 400, domain: str = "Validation"):
        super().__init__(detail, code=code, status=status)
        self.domain = domain

    def body(self) -> dict:
        return {
            "error": {
                "code": self.status,
                "message": self.detail,
                "errors": [{"domain": self.domain, "reason": self.code, "message": self.detail}],
            }
        }
