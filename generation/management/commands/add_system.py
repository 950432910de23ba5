from __future__ import annotations

import json
from argparse import ArgumentTypeError
from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError, CommandParser

from common.commands import ServiceCommand
from generation.models import System
from generation.prompts import PRESETS
from generation.services import system_save

# Command-line option → System field, for the options given on the command line.
OPTION_FIELDS = {
    "description": "description",
    "checkpoint": "checkpoint",
    "adapter": "adapter",
    "trust_remote_code": "trust_remote_code",
    "dtype": "dtype",
    "device": "device",
    "batch_size": "batch_size",
    "max_batch_tokens": "max_batch_tokens",
    "endpoint": "endpoint",
    "model": "model_name",
    "api_mode": "api_mode",
    "api_key_env": "api_key_env",
    "tokenizer": "tokenizer",
    "timeout": "request_timeout_seconds",
    "retries": "max_retries",
    "concurrency": "concurrency",
    "input_price": "input_price_per_million",
    "output_price": "output_price_per_million",
    "currency": "price_currency",
    "responses_file": "responses_file",
    "preset": "prompt_preset",
    "system_prompt": "system_prompt",
    "max_input_tokens": "max_input_tokens",
}


def price(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0:
        raise ArgumentTypeError(f"{value!r} is not a price (a number, 0 or more)")
    return number


def decoding_option(value: str) -> tuple[str, object]:
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise ValueError
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


class Command(ServiceCommand):
    help = (
        "Register a system to evaluate. hf_local: --checkpoint DIR [--adapter DIR]; "
        "openai_api: --endpoint URL [--replica URL …] --model NAME [--api-key-env VAR]; imported: "
        "--responses-file FILE.jsonl. --update changes an existing system."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--kind", choices=System.Kind.values)
        parser.add_argument("--update", action="store_true", help="change an existing system")
        parser.add_argument("--description")
        local = parser.add_argument_group("hf_local")
        local.add_argument("--checkpoint", help="local checkpoint directory")
        local.add_argument("--adapter", help="PEFT LoRA adapter directory")
        local.add_argument("--trust-remote-code", action="store_true", default=None)
        local.add_argument("--dtype", choices=["auto", "float32", "float16", "bfloat16"])
        local.add_argument("--device", help="auto, cpu, cuda, cuda:N")
        local.add_argument("--batch-size", type=int)
        local.add_argument("--max-batch-tokens", type=int)
        api = parser.add_argument_group("openai_api")
        api.add_argument("--endpoint", help="base URL, e.g. https://api.example.com/v1")
        api.add_argument(
            "--replica", action="append", default=None, metavar="URL",
            help="repeatable: another base URL serving the same model; requests are spread "
            "over the endpoint and its replicas, --concurrency in flight at each",
        )  # fmt: skip
        api.add_argument("--model", help="model name the endpoint knows")
        api.add_argument(
            "--api-mode", choices=System.ApiMode.values,
            help="chat (/v1/chat/completions, default) or completions (/v1/completions with "
            "the preset's raw prompt: a base or SoulChat-style model behind vLLM/SGLang/TGI)",
        )  # fmt: skip
        api.add_argument("--api-key-env", help="NAME of the environment variable with the key")
        api.add_argument("--tokenizer", help="local tokenizer directory to measure prompts")
        api.add_argument("--timeout", type=float, help="seconds per request (120)")
        api.add_argument("--retries", type=int, help="retries on 429/5xx/timeouts (4)")
        api.add_argument("--concurrency", type=int, help="requests in flight (4)")
        api.add_argument(
            "--input-price", type=price, help="price of a million prompt tokens (cost estimates)"
        )
        api.add_argument("--output-price", type=price, help="price of a million completion tokens")
        api.add_argument("--currency", help="currency of the prices (USD)")
        imported = parser.add_argument_group("imported")
        imported.add_argument(
            "--responses-file", help='JSON lines {"sample_id"|"source_id", "response"}'
        )
        prompt = parser.add_argument_group("prompt and decoding")
        prompt.add_argument("--preset", choices=PRESETS)
        prompt.add_argument("--system-prompt", help="for the chat preset")
        prompt.add_argument("--max-input-tokens", type=int, help="input budget (1536)")
        prompt.add_argument(
            "--decoding",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="decoding override, repeatable: top_p=0.9 do_sample=false max_new_tokens=256",
        )

    def handle(self, *args, **options) -> str:
        fields = {
            field: options[option]
            for option, field in OPTION_FIELDS.items()
            if options[option] is not None
        }
        if options["replica"] is not None:
            fields["replica_endpoints"] = "\n".join(options["replica"])
        if options["kind"]:
            fields["kind"] = options["kind"]
        elif not options["update"]:
            raise CommandError("--kind is required for a new system")
        if options["decoding"]:
            decoding = {}
            for value in options["decoding"]:
                try:
                    key, parsed = decoding_option(value)
                except ValueError:
                    raise CommandError(f"--decoding {value!r}: write KEY=VALUE") from None
                decoding[key] = parsed
            fields["decoding"] = decoding
        system = system_save(name=options["name"], fields=fields, update=options["update"])
        verb = "updated" if options["update"] else "registered"
        return f"{system.name}: {verb} ({system.get_kind_display()})"
