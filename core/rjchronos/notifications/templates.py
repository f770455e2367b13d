"""The message template library, in pt-BR and English.

Templates use :class:`string.Template` placeholders (``$device``, ``${title}``):
no code runs in a template, and a missing variable is left as written
rather than failing a delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Template
from typing import Any

LANGUAGES = ("pt-BR", "en")
DEFAULT_LANGUAGE = "pt-BR"


@dataclass(frozen=True)
class MessageTemplate:
    """A subject and a body for one language."""

    subject: str
    body: str


#: template name -> language -> template.
LIBRARY: dict[str, dict[str, MessageTemplate]] = {
    "alert.opened": {
        "pt-BR": MessageTemplate(
            "[$severity] $title",
            "Alerta aberto: $title\nDispositivo: $device\nRegra: $rule\nDesde: $time\n$details",
        ),
        "en": MessageTemplate(
            "[$severity] $title",
            "Alert opened: $title\nDevice: $device\nRule: $rule\nSince: $time\n$details",
        ),
    },
    "alert.escalated": {
        "pt-BR": MessageTemplate(
            "[ESCALADO][$severity] $title",
            "Alerta sem reconhecimento desde $time: $title\nDispositivo: $device\nRegra: $rule",
        ),
        "en": MessageTemplate(
            "[ESCALATED][$severity] $title",
            "Alert not acknowledged since $time: $title\nDevice: $device\nRule: $rule",
        ),
    },
    "alert.resolved": {
        "pt-BR": MessageTemplate(
            "[resolvido] $title", "Alerta resolvido: $title\nDispositivo: $device\nEm: $time"
        ),
        "en": MessageTemplate(
            "[resolved] $title", "Alert resolved: $title\nDevice: $device\nAt: $time"
        ),
    },
    "incident.opened": {
        "pt-BR": MessageTemplate(
            "[incidente] $title",
            "Incidente: $title\nCausa provável: $cause em $element\n"
            "Clientes afetados: $customers\nDetectado em: $time",
        ),
        "en": MessageTemplate(
            "[incident] $title",
            "Incident: $title\nLikely cause: $cause at $element\n"
            "Affected customers: $customers\nDetected at: $time",
        ),
    },
    "incident.resolved": {
        "pt-BR": MessageTemplate(
            "[incidente resolvido] $title",
            "Incidente resolvido: $title\nDuração: $duration\nRecuperado em: $time",
        ),
        "en": MessageTemplate(
            "[incident resolved] $title",
            "Incident resolved: $title\nDuration: $duration\nRecovered at: $time",
        ),
    },
    "customer.outage": {
        "pt-BR": MessageTemplate(
            "Aviso de interrupção",
            "Olá, $customer. Identificamos uma interrupção na sua região e nossa equipe já "
            "está trabalhando. Avisaremos quando o serviço voltar.",
        ),
        "en": MessageTemplate(
            "Service interruption",
            "Hello, $customer. We detected an interruption in your area and our team is "
            "working on it. We will let you know when service is back.",
        ),
    },
    "customer.restored": {
        "pt-BR": MessageTemplate(
            "Serviço restabelecido",
            "Olá, $customer. O serviço na sua região foi restabelecido. Obrigado pela paciência.",
        ),
        "en": MessageTemplate(
            "Service restored",
            "Hello, $customer. Service in your area is back. Thank you for your patience.",
        ),
    },
    "report.ready": {
        "pt-BR": MessageTemplate(
            "Relatório $report: $period",
            "O relatório $report de $period está pronto.\n$delivery",
        ),
        "en": MessageTemplate(
            "Report $report: $period",
            "The $report report for $period is ready.\n$delivery",
        ),
    },
    "test": {
        "pt-BR": MessageTemplate("Teste do canal $channel", "Mensagem de teste do RJChronos."),
        "en": MessageTemplate("Test of channel $channel", "Test message from RJChronos."),
    },
}


def render(name: str, language: str, variables: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body of template ``name`` in ``language`` (English when it lacks one).

    :raises KeyError: no template has this name.
    """
    versions = LIBRARY[name]
    template = versions.get(language) or versions["en"]
    values = {key: "" if value is None else str(value) for key, value in variables.items()}
    return (
        Template(template.subject).safe_substitute(values),
        Template(template.body).safe_substitute(values),
    )
