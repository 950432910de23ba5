"""The annotator API of pairwise studies: a pair's vote and its draft. The item itself,
its skip and the next pair come through the same endpoints as rating studies
(``annotation.apis``), which say which kind an item is."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.apis import AnnotatorAPIView, ItemDraftApi
from annotation.rubric import PAIR_CHOICES, PAIR_KEYS
from annotation.services import assignment_draft_save
from annotation.services.votes import vote_submit


def choice_field(**options) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=list(PAIR_CHOICES), **options)


class VoteChoicesSerializer(serializers.Serializer):
    """A vote as the annotator saw the pair: the overall choice, and per scale optionally."""

    overall = choice_field()
    content = choice_field(required=False, allow_blank=True)
    empathy = choice_field(required=False, allow_blank=True)
    helpfulness = choice_field(required=False, allow_blank=True)
    safety = choice_field(required=False, allow_blank=True)


class ItemVoteApi(AnnotatorAPIView):
    class VoteInputSerializer(VoteChoicesSerializer):
        comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        active_seconds = serializers.IntegerField(min_value=0)
        submission_id = serializers.UUIDField(
            help_text="Made by the client once per vote; a repeat with the same id returns "
            "the stored vote instead of storing a second one."
        )

    class VoteOutputSerializer(VoteChoicesSerializer):
        comment = serializers.CharField()
        active_seconds = serializers.IntegerField()
        submission_id = serializers.UUIDField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        request=VoteInputSerializer,
        responses={
            201: VoteOutputSerializer,
            200: OpenApiResponse(VoteOutputSerializer, description="a repeat: the stored vote"),
            400: OpenApiResponse(description="an invalid choice"),
            404: OpenApiResponse(description="no such item among yours"),
            409: OpenApiResponse(
                description="not a pair, already voted, skipped, study closed, or the lease "
                "ran out and the pair is full"
            ),
        },
    )
    def post(self, request: Request, item_id: str) -> Response:
        data = self.VoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = vote_submit(
            annotator=self.annotator(request),
            item_public_id=item_id,
            choices={key: values.get(key, "") for key in PAIR_KEYS},
            comment=values.get("comment", ""),
            active_seconds=values["active_seconds"],
            submission_id=values["submission_id"],
        )
        return Response(
            self.VoteOutputSerializer(result.vote).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ItemVoteDraftApi(AnnotatorAPIView):
    class VoteDraftInputSerializer(serializers.Serializer):
        overall = choice_field(required=False, allow_blank=True, allow_null=True)
        content = choice_field(required=False, allow_blank=True, allow_null=True)
        empathy = choice_field(required=False, allow_blank=True, allow_null=True)
        helpfulness = choice_field(required=False, allow_blank=True, allow_null=True)
        safety = choice_field(required=False, allow_blank=True, allow_null=True)
        comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        active_seconds = serializers.IntegerField(min_value=0)

    @extend_schema(
        request=VoteDraftInputSerializer, responses={200: ItemDraftApi.DraftOutputSerializer}
    )
    def put(self, request: Request, item_id: str) -> Response:
        data = self.VoteDraftInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        active = values.pop("active_seconds")
        assignment = assignment_draft_save(
            annotator=self.annotator(request),
            item_public_id=item_id,
            draft={key: value for key, value in values.items() if value not in (None, "")},
            active_seconds=active,
            pairwise=True,
        )
        return Response(ItemDraftApi.DraftOutputSerializer(assignment).data)
