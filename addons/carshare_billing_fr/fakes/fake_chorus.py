"""Chorus Pro (and PISTE, its OAuth gateway) faked at their HTTP boundary, for the tests and the
demo's history: Chorus Pro is never called from this machine."""

import json

import requests


def _json_response(request, status, payload):
    response = requests.Response()
    response.status_code = status
    response.url = request.url
    response.headers["Content-Type"] = "application/json;charset=utf-8"
    response._content = json.dumps(payload).encode()
    return response


class FakeChorusPro:
    """PISTE and Chorus Pro as seen through HTTP: a token, the flow deposit and its report."""

    def __init__(self):
        self.deposits = []
        self.refuse = False

    def answer(self, request):
        if request.url.endswith("/api/oauth/token"):
            token = {"access_token": "piste-token", "token_type": "Bearer", "expires_in": 3600}
            return _json_response(request, 200, token)
        body = json.loads(request.body)
        if request.url.endswith("/cpro/factures/v1/deposer/flux"):
            self.deposits.append({"body": body, "headers": request.headers})
            if self.refuse:
                refusal = {
                    "codeRetour": 20003,
                    "libelle": "GCU_MSG_03_000 Le fichier transmis n'est pas conforme.",
                }
                return _json_response(request, 400, refusal)
            return _json_response(
                request,
                200,
                {
                    "codeRetour": 0,
                    "libelle": "TRA_MSG_00.000",
                    "numeroFluxDepot": f"FX{len(self.deposits):08d}",
                    "dateDepot": "2025-01-31",
                    "syntaxeFlux": body["syntaxeFlux"],
                },
            )
        if request.url.endswith("/cpro/transverses/v1/consulterCRDetaille"):
            return _json_response(
                request,
                200,
                {
                    "codeRetour": 0,
                    "libelle": "TRA_MSG_00.000",
                    "etatCourantDepotFlux": "IN_INTEGRE",
                },
            )
        return _json_response(request, 404, {"libelle": "Not found"})
