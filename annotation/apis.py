"""The annotator flow over HTTP (DRF): next item, item, draft, submit, skip, own stats.

The same services and selectors as the pages, so the same rules and the same blindness:
output serializers list their fields one by one from the selectors' views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.models import Annotator, Study
from annotation.rubric import SCALE_KEYS, SCALE_MAXIMUM
from annotation.selectors import (
    annotator_for_user,
    annotator_stats,
    item_view,
    study_for_annotator,
)
from annotation.selectors.my_work import my_ratings, study_progress_for
from annotation.services import (
    Claim,
    SubmitResult,
    assignment_claim,
    assignment_draft_save,
    assignment_skip,
    rating_revise,
    rating_submit,
)


class IsAnnotator(BasePermission):
    message = "The annotation API is for signed-in annotators."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(view, AnnotatorAPIView) and view.annotator_find(request) is not None


class AnnotatorAPIView(APIView):
    """DRF makes a view instance per request, so the annotator found while checking
    permission is the one every handler of this request works for."""

    permission_classes = [IsAnnotator]
    _annotator: Annotator | None = None

    def annotator_find(self, request: Request) -> Annotator | None:
        self._annotator = annotator_for_user(user=request.user)
        return self._annotator

    def annotator(self, request: Request) -> Annotator:
        if self._annotator is None:
            # Not reached: IsAnnotator refuses a request without one before any handler.
            raise PermissionDenied(IsAnnotator.message)
        return self._annotator


class TurnSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["user", "psychologist"])
    content = serializers.CharField()


def score_field(key: str, **options) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=SCALE_MAXIMUM[key], **options)


class ScoresSerializer(serializers.Serializer):
    content = score_field("content")
    empathy = score_field("empathy")
    helpfulness = score_field("helpfulness")
    safety = score_field("safety")


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="rated so far in this study")
    total = serializers.IntegerField(help_text="rated, held now, or still open to you")
    current = serializers.IntegerField(help_text='the "3" of "item 3 of 14"')
    total_at_least = serializers.BooleanField(
        help_text="true when so many items are still open that total counts only some: "
        '"item 3 of 51 or more"'
    )


class ItemOutputSerializer(serializers.Serializer):
    public_id = serializers.CharField()
    study_public_id = serializers.CharField()
    study_title = serializers.CharField()
    study_status = serializers.CharField()
    status = serializers.ChoiceField(choices=["leased", "submitted", "expired", "skipped"])
    lease_expires_at = serializers.DateTimeField()
    conversation = TurnSerializer(many=True)
    kind = serializers.ChoiceField(
        choices=["rating", "pairwise"],
        help_text="rating: response_text on the four scales; pairwise: left_text against "
        "right_text, voted on through vote/",
    )
    response_text = serializers.CharField(help_text="empty in a pairwise study")
    left_text = serializers.CharField(help_text="pairwise: the answer shown on the left")
    right_text = serializers.CharField(help_text="pairwise: the answer shown on the right")
    draft = serializers.DictField()
    active_seconds = serializers.IntegerField()
    rating = serializers.DictField(allow_null=True)
    vote = serializers.DictField(allow_null=True, help_text="pairwise: the vote submitted")
    skip_reason = serializers.CharField()
    progress = ProgressSerializer(read_only=True)


def item_output(annotator: Annotator, item_public_id: str, claim: Claim | None = None) -> dict:
    """The item as its annotator sees it, with where they are in its study (counted by
    the ``claim`` that just leased it, if one did)."""
    view = item_view(annotator=annotator, item_public_id=item_public_id)
    if claim is None:
        study, still_open = Study.objects.get(public_id=view.study_public_id), None
    else:
        study, still_open = claim.assignment.item.study, claim.still_open
    progress = study_progress_for(annotator=annotator, study=study, still_open=still_open)
    return {
        **ItemOutputSerializer(asdict(view)).data,
        "progress": ProgressSerializer(progress).data,
    }


class StudyStatsOutputSerializer(serializers.Serializer):
    study_public_id = serializers.CharField()
    study_title = serializers.CharField()
    study_status = serializers.CharField()
    assigned = serializers.IntegerField()
    submitted = serializers.IntegerField()
    skipped = serializers.IntegerField()
    available = serializers.IntegerField()
    progress_percent = serializers.IntegerField()
    active_seconds = serializers.IntegerField()
    # Exact decimals as strings, never floats, never rounded.
    earned = serializers.CharField()
    currency = serializers.CharField()
    hourly_wage = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    minimum_hourly_wage = serializers.DecimalField(max_digits=12, decimal_places=2)
    below_minimum = serializers.BooleanField()


class MyStatsApi(AnnotatorAPIView):
    @extend_schema(responses=StudyStatsOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        stats = annotator_stats(annotator=self.annotator(request))
        return Response(StudyStatsOutputSerializer(stats, many=True).data)


class StudyNextApi(AnnotatorAPIView):
    @extend_schema(
        request=None,
        responses={
            200: ItemOutputSerializer,
            204: OpenApiResponse(description="nothing is left for you in this study"),
            404: OpenApiResponse(description="no such study"),
            409: OpenApiResponse(description="the study is paused or closed"),
        },
    )
    def post(self, request: Request, study_id: str) -> Response:
        annotator = self.annotator(request)
        study = study_for_annotator(annotator=annotator, study_public_id=study_id)
        claim = assignment_claim(annotator=annotator, study=study)
        if claim is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(item_output(annotator, claim.assignment.item.public_id, claim))


class ItemApi(AnnotatorAPIView):
    @extend_schema(responses={200: ItemOutputSerializer, 404: OpenApiResponse()})
    def get(self, request: Request, item_id: str) -> Response:
        return Response(item_output(self.annotator(request), item_id))


class ItemDraftApi(AnnotatorAPIView):
    class DraftInputSerializer(serializers.Serializer):
        # Every scale optional; null clears a score chosen earlier.
        content = score_field("content", required=False, allow_null=True)
        empathy = score_field("empathy", required=False, allow_null=True)
        helpfulness = score_field("helpfulness", required=False, allow_null=True)
        safety = score_field("safety", required=False, allow_null=True)
        comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        active_seconds = serializers.IntegerField(min_value=0)

    class DraftOutputSerializer(serializers.Serializer):
        draft = serializers.DictField()
        draft_saved_at = serializers.DateTimeField()
        active_seconds = serializers.IntegerField()
        lease_expires_at = serializers.DateTimeField()

    @extend_schema(request=DraftInputSerializer, responses={200: DraftOutputSerializer})
    def put(self, request: Request, item_id: str) -> Response:
        data = self.DraftInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        active = values.pop("active_seconds")
        draft = {key: value for key, value in values.items() if value is not None}
        assignment = assignment_draft_save(
            annotator=self.annotator(request),
            item_public_id=item_id,
            draft=draft,
            active_seconds=active,
            pairwise=False,
        )
        return Response(self.DraftOutputSerializer(assignment).data)


class ItemSubmitApi(AnnotatorAPIView):
    class SubmitInputSerializer(ScoresSerializer):
        comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        active_seconds = serializers.IntegerField(min_value=0)
        submission_id = serializers.UUIDField(
            help_text="Made by the client once per rating; a repeat with the same id "
            "returns the stored rating instead of storing a second one."
        )

    class RatingOutputSerializer(ScoresSerializer):
        comment = serializers.CharField()
        active_seconds = serializers.IntegerField()
        submission_id = serializers.UUIDField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        request=SubmitInputSerializer,
        responses={
            201: RatingOutputSerializer,
            200: OpenApiResponse(RatingOutputSerializer, description="a repeat: the stored rating"),
            400: OpenApiResponse(description="invalid scores"),
            404: OpenApiResponse(description="no such item among yours"),
            409: OpenApiResponse(
                description="already rated, skipped, study closed, or "
                "the lease ran out and the item is full"
            ),
        },
    )
    def post(self, request: Request, item_id: str) -> Response:
        return rating_post(self.annotator(request), request, item_id, rating_submit)


def rating_post(
    annotator: Annotator,
    request: Request,
    item_id: str,
    service: Callable[..., SubmitResult],
) -> Response:
    """A submit or a revision: 201 with the rating stored, 200 with it for a repeat."""
    data = ItemSubmitApi.SubmitInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    result = service(
        annotator=annotator,
        item_public_id=item_id,
        scores={key: values[key] for key in SCALE_KEYS},
        comment=values.get("comment", ""),
        active_seconds=values["active_seconds"],
        submission_id=values["submission_id"],
    )
    return Response(
        ItemSubmitApi.RatingOutputSerializer(result.rating).data,
        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
    )


class ItemReviseApi(AnnotatorAPIView):
    """Replace one's submitted rating while the study takes ratings; the earlier version
    is kept for audit, and the item still counts (and is paid) once."""

    @extend_schema(
        request=ItemSubmitApi.SubmitInputSerializer,
        responses={
            201: ItemSubmitApi.RatingOutputSerializer,
            200: OpenApiResponse(
                ItemSubmitApi.RatingOutputSerializer, description="a repeat: the current rating"
            ),
            400: OpenApiResponse(description="invalid scores"),
            404: OpenApiResponse(description="no such item among yours"),
            409: OpenApiResponse(description="not submitted yet, or the study is closed"),
        },
    )
    def post(self, request: Request, item_id: str) -> Response:
        return rating_post(self.annotator(request), request, item_id, rating_revise)


class MyRatingSerializer(serializers.Serializer):
    item_public_id = serializers.CharField()
    excerpt = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    revised_at = serializers.DateTimeField(allow_null=True)
    revisions = serializers.IntegerField()
    scores = ScoresSerializer()
    comment = serializers.CharField(allow_blank=True)


class MyVoteSerializer(serializers.Serializer):
    item_public_id = serializers.CharField()
    excerpt = serializers.CharField(help_text="the start of the left answer, as shown")
    submitted_at = serializers.DateTimeField()
    overall = serializers.CharField()
    dimensions = serializers.DictField(child=serializers.CharField())
    comment = serializers.CharField(allow_blank=True)


class MyRatingsSerializer(serializers.Serializer):
    study_public_id = serializers.CharField()
    study_title = serializers.CharField()
    study_status = serializers.CharField()
    revisable = serializers.BooleanField()
    pairwise = serializers.BooleanField()
    ratings = MyRatingSerializer(many=True)
    votes = MyVoteSerializer(many=True, help_text="pairwise: the votes given")


class MyRatingsApi(AnnotatorAPIView):
    @extend_schema(responses={200: MyRatingsSerializer, 404: OpenApiResponse()})
    def get(self, request: Request, study_id: str) -> Response:
        annotator = self.annotator(request)
        study = study_for_annotator(annotator=annotator, study_public_id=study_id)
        return Response(MyRatingsSerializer(my_ratings(annotator=annotator, study=study)).data)


class ItemSkipApi(AnnotatorAPIView):
    class SkipInputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500)

    @extend_schema(request=SkipInputSerializer, responses={200: ItemOutputSerializer})
    def post(self, request: Request, item_id: str) -> Response:
        data = self.SkipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotator = self.annotator(request)
        assignment_skip(
            annotator=annotator, item_public_id=item_id, reason=data.validated_data["reason"]
        )
        return Response(item_output(annotator, item_id))
