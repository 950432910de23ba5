from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from annotation.models import Annotator
from generation.models import Dataset, Response, Sample, System


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda number: f"user{number}")
    password = factory.django.Password("pw-for-tests")


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    name = factory.Sequence(lambda number: f"dataset-{number}")
    source_format = Dataset.SourceFormat.SOULCHAT
    test_ratio = 0.1


class SampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sample

    dataset = factory.SubFactory(DatasetFactory)
    split = "test"
    dialogue_id = factory.Sequence(lambda number: f"d{number}")
    turn_index = 1
    context = factory.LazyFunction(lambda: [{"role": "user", "content": "我最近睡不好。"}])
    context_turns = 1
    reference = "听起来这段时间你很辛苦。"
    source_id = factory.LazyAttribute(lambda sample: f"{sample.dialogue_id}#{sample.turn_index}")


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = System

    name = factory.Sequence(lambda number: f"system-{number}")
    kind = System.Kind.IMPORTED
    responses_file = "responses.jsonl"


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    sample = factory.SubFactory(SampleFactory)
    system = factory.SubFactory(SystemFactory)
    text = "听起来你这段时间压力很大，愿意多说说吗？"


class AnnotatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Annotator

    user = factory.SubFactory(UserFactory)
