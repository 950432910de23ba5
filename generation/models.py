from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models import Q

from common.models import QueuedWork, TimestampedModel, UnicodeJSONEncoder
from generation.decoding import decoding_params
from generation.dialogues import TEST, TRAIN, Turn
from generation.prompts import CHAT as CHAT_PRESET
from generation.prompts import DEFAULT_INPUT_BUDGET, PRESETS

# Names are typed on command lines (--dataset, --systems a,b): no spaces or commas.
name_validator = RegexValidator(
    r"^[\w.\-]+\Z", "Use letters, digits, '.', '-' and '_' only (no spaces or commas)."
)


class Dataset(TimestampedModel):
    class SourceFormat(models.TextChoices):
        SMILECHAT = "smilechat", "SMILECHAT JSON"
        SOULCHAT = "soulchat", "SoulChat role-prefixed text"
        CHATML = "chatml", "ChatML JSON lines"
        CORPUS_BUILDER = "corpus", "Built by the corpus builder"

    name = models.CharField(max_length=100, unique=True, validators=[name_validator])
    source_format = models.CharField(max_length=20, choices=SourceFormat.choices)
    licence_note = models.TextField(blank=True)
    description = models.TextField(blank=True)
    test_ratio = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    split_seed = models.CharField(max_length=100, default="0")
    stats = models.JSONField(default=dict, blank=True)
    stats_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(test_ratio__gte=0.0) & Q(test_ratio__lte=1.0),
                name="dataset_test_ratio_in_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Sample(models.Model):
    class Split(models.TextChoices):
        TRAIN = TRAIN, "train"
        TEST = TEST, "test"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="samples")
    split = models.CharField(max_length=10, choices=Split.choices)
    topic = models.CharField(max_length=100, blank=True)
    dialogue_id = models.CharField(max_length=200)
    # Index of the reference turn within its dialogue; the context is the turns before.
    turn_index = models.PositiveIntegerField()
    context = models.JSONField(
        encoder=UnicodeJSONEncoder, help_text='Turns before the reference: [{"role", "content"}].'
    )
    context_turns = models.PositiveIntegerField()
    reference = models.TextField()
    source_id = models.CharField(max_length=220)

    class Meta:
        ordering = ["dataset", "dialogue_id", "turn_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "source_id"], name="sample_unique_source_id_per_dataset"
            ),
            models.CheckConstraint(
                condition=Q(split__in=[TRAIN, TEST]), name="sample_split_is_known"
            ),
        ]
        indexes = [
            models.Index(fields=["dataset", "split"]),
            models.Index(fields=["dataset", "dialogue_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name}/{self.source_id}"

    def context_as_turns(self) -> tuple[Turn, ...]:
        return tuple(Turn(role=turn["role"], content=turn["content"]) for turn in self.context)


class System(TimestampedModel):
    """Something that answers a context: a local checkpoint, an API model, a file, or
    the dataset's own counsellor reply (the human reference)."""

    class Kind(models.TextChoices):
        HF_LOCAL = "hf_local", "Local Hugging Face checkpoint"
        OPENAI_API = "openai_api", "OpenAI-compatible API"
        IMPORTED = "imported", "Responses imported from a file"
        # The dataset's own counsellor reply, rated blind as the human ceiling.
        REFERENCE = "reference", "The dataset's counsellor reply (human reference)"

    name = models.CharField(max_length=100, unique=True, validators=[name_validator])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    checkpoint = models.CharField(
        max_length=500, blank=True, help_text="hf_local: checkpoint directory."
    )
    adapter = models.CharField(
        max_length=500, blank=True, help_text="hf_local: optional PEFT LoRA adapter directory."
    )
    trust_remote_code = models.BooleanField(default=False)
    endpoint = models.URLField(
        max_length=500, blank=True, help_text="openai_api: base URL, e.g. https://host/v1."
    )
    model_name = models.CharField(max_length=200, blank=True, help_text="openai_api: model.")
    replica_endpoints = models.TextField(
        blank=True,
        help_text="openai_api: more base URLs serving the same model, one per line (replicas "
        "behind vLLM, SGLang or TGI); requests are spread over all of them, with "
        "`concurrency` in flight at each.",
    )

    class ApiMode(models.TextChoices):
        CHAT = "chat", "chat: /v1/chat/completions"
        COMPLETIONS = "completions", "completions: /v1/completions with the preset's raw prompt"

    api_mode = models.CharField(
        max_length=12,
        choices=ApiMode.choices,
        default=ApiMode.CHAT,
        help_text="openai_api: completions serves a base or SoulChat-style model (vLLM, "
        "SGLang, TGI) its role-prefixed prompt, stopped at the client's next turn.",
    )
    # The key itself never enters the database or a page: only the variable's name.
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        validators=[RegexValidator(r"^[A-Z_][A-Z0-9_]*\Z", "An environment variable name.")],
        help_text="openai_api: name of the environment variable that holds the API key.",
    )
    tokenizer = models.CharField(
        max_length=500,
        blank=True,
        help_text="openai_api: optional local tokenizer directory to measure prompts with; "
        "without one a character counts as a token.",
    )
    request_timeout_seconds = models.FloatField(
        default=120.0, validators=[MinValueValidator(0.1)], help_text="openai_api."
    )
    max_retries = models.PositiveSmallIntegerField(
        default=4,
        validators=[MaxValueValidator(20)],
        help_text="openai_api: on 429, 5xx, timeouts.",
    )
    concurrency = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(256)],
        help_text="openai_api: requests in flight at once.",
    )
    responses_file = models.CharField(
        max_length=500,
        blank=True,
        help_text='imported: JSON lines of {"sample_id" or "source_id", "response"}.',
    )
    dtype = models.CharField(
        max_length=10,
        choices=[(value, value) for value in ("auto", "float32", "float16", "bfloat16")],
        default="auto",
        help_text="hf_local: auto is bfloat16 (or float16) on a GPU, float32 on a CPU.",
    )
    device = models.CharField(
        max_length=20,
        default="auto",
        validators=[
            RegexValidator(r"^(auto|cpu|cuda(:\d+)?|mps)\Z", "auto, cpu, cuda, cuda:N or mps.")
        ],
        help_text="hf_local: auto is the GPU when there is one.",
    )
    batch_size = models.PositiveIntegerField(
        default=16, validators=[MinValueValidator(1)], help_text="hf_local: prompts per batch."
    )
    max_batch_tokens = models.PositiveIntegerField(
        default=65536,
        validators=[MinValueValidator(1)],
        help_text="hf_local: cap on prompts x (longest prompt + new tokens) per batch.",
    )
    prompt_preset = models.CharField(
        max_length=30, choices=[(preset, preset) for preset in PRESETS], default="soulchat"
    )
    system_prompt = models.TextField(blank=True, help_text="Preset 'chat' only.")
    max_input_tokens = models.PositiveIntegerField(
        default=DEFAULT_INPUT_BUDGET,
        validators=[MinValueValidator(1)],
        help_text="Input budget: the oldest turns are dropped to fit.",
    )
    decoding = models.JSONField(
        default=dict,
        blank=True,
        help_text='Overrides of the defaults {"do_sample": true, "top_p": 0.75, '
        '"temperature": 0.95, "max_new_tokens": 512, "seed": 0, "repetition_penalty": 1.0}.',
    )
    # What the provider charges, for the cost estimates of corpus builds; the currency
    # is whatever the prices are quoted in.
    input_price_per_million = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="openai_api: price of a million prompt tokens.",
    )
    output_price_per_million = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="openai_api: price of a million completion tokens.",
    )
    price_currency = models.CharField(max_length=10, default="USD", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="hf_local") | ~Q(checkpoint=""),
                name="system_hf_local_has_checkpoint",
            ),
            models.CheckConstraint(
                condition=~Q(kind="openai_api") | (~Q(endpoint="") & ~Q(model_name="")),
                name="system_openai_api_has_endpoint_and_model",
            ),
            models.CheckConstraint(
                condition=~Q(kind="imported") | ~Q(responses_file=""),
                name="system_imported_has_responses_file",
            ),
            models.CheckConstraint(
                condition=Q(prompt_preset__in=PRESETS), name="system_prompt_preset_is_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            decoding_params(self.decoding)
        except ValueError as error:
            raise ValidationError({"decoding": str(error)}) from error
        needs: dict[str, list[str]] = {
            self.Kind.HF_LOCAL: ["checkpoint"],
            self.Kind.OPENAI_API: ["endpoint", "model_name"],
            self.Kind.IMPORTED: ["responses_file"],
        }
        required = needs.get(self.kind, [])
        missing = {
            name: f"A system of kind {self.kind} needs this."
            for name in required
            if not getattr(self, name)
        }
        if self.api_mode == self.ApiMode.COMPLETIONS and self.prompt_preset == CHAT_PRESET:
            missing["api_mode"] = (
                "completions sends the raw role-prefixed prompt: choose a role-prefixed "
                "preset (soulchat or mechat); a chat model is served in chat mode"
            )
        try:
            self.endpoints()
        except ValidationError as error:
            missing["replica_endpoints"] = " ".join(error.messages)
        if missing:
            raise ValidationError(missing)

    def endpoints(self) -> list[str]:
        """openai_api: its endpoint and its replicas', each once; ValidationError naming
        a line that is not an http(s) URL."""
        replicas = [line.strip() for line in self.replica_endpoints.splitlines() if line.strip()]
        check = URLValidator(schemes=["http", "https"])
        for number, url in enumerate(replicas, start=1):
            try:
                check(url)
            except ValidationError:
                raise ValidationError(f"line {number}, {url!r}, is not an http(s) URL") from None
        return list(dict.fromkeys([self.endpoint, *replicas] if self.endpoint else replicas))


class GenerationJob(QueuedWork):
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="generation_jobs")
    samples = models.ManyToManyField(Sample, related_name="generation_jobs")
    # What the job saw and did not act on, e.g. lines of an imported file naming unknown ids.
    notes = models.TextField(blank=True)

    class Meta(QueuedWork.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")),
                name="generation_job_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system.name} job {self.pk} ({self.status})"


class Response(TimestampedModel):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="responses")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="responses")
    job = models.ForeignKey(
        GenerationJob,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
    )
    # Empty responses are stored as empty and counted, never dropped.
    text = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_seconds = models.FloatField(null=True, blank=True)
    # The last user turn lost its beginning to fit the input budget.
    context_truncated = models.BooleanField(default=False)
    # Whole turns left out from the oldest end to fit the input budget.
    context_turns_dropped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sample", "system"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "system"], name="response_unique_per_sample_and_system"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system.name} → {self.sample.source_id}"


class GenerationFailure(models.Model):
    """Why a job has no response for a sample; gone once a later run answers it."""

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="failures")
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="generation_failures")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job", "sample"]
        constraints = [
            models.UniqueConstraint(fields=["job", "sample"], name="generation_failure_unique"),
        ]

    def __str__(self) -> str:
        return f"job {self.job_id}, sample {self.sample_id}: {self.reason[:80]}"
