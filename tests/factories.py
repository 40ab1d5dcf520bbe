from datetime import date, timedelta

import factory
from factory.django import DjangoModelFactory

from subjects.models import User, UserRole

PASSWORD = "correct-horse-battery-staple"


def _now():
    from django.utils import timezone

    return timezone.now()


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="zh_CN")
    organization = "县人大常委会"
    position = "工作人员"
    phone = factory.Sequence(lambda n: f"139{n:08d}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            UserRole.objects.bulk_create([UserRole(user=self, role=role) for role in extracted])


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = "subjects.Unit"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"县第{n}局")
    category = "government"
    liaison_committee = "法制工作委员会"


class OfficialFactory(DjangoModelFactory):
    class Meta:
        model = "subjects.Official"

    name = factory.Sequence(lambda n: f"人员{n:04d}")
    gender = "M"
    unit = factory.SubFactory(UnitFactory)
    post = "局长"
    appointed_on = factory.LazyFunction(lambda: date(2021, 9, 28))
    in_post_since = factory.LazyFunction(lambda: date(2021, 9, 28))
    term = "第十七届"
    status = "serving"
    phone = ""


# --- Reviews --------------------------------------------------------------------------------


class ReviewFactory(DjangoModelFactory):
    """A review made by the service, so it has its rules and six default dimensions."""

    class Meta:
        model = "reviews.Review"

    kind = "duty"
    year = 2025
    title = factory.Sequence(lambda n: f"2025 年度述职评议（{n}）")
    term = "第十七届"
    created_by = factory.SubFactory(
        UserFactory, username=factory.Sequence(lambda n: f"creator{n}"), roles=["office"]
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from reviews.services import create_review

        actor = kwargs.pop("created_by")
        return create_review(actor=actor, **kwargs)


class WorkingGroupFactory(DjangoModelFactory):
    class Meta:
        model = "reviews.WorkingGroup"
        skip_postgeneration_save = True

    review = factory.SubFactory(ReviewFactory)
    name = factory.Sequence(lambda n: f"第{n}评议工作组")
    leader = None

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class SubjectFactory(DjangoModelFactory):
    """An enrolled official (述职评议). For a unit pass official=None, unit=…, display_name=…."""

    class Meta:
        model = "reviews.Subject"

    review = factory.SubFactory(ReviewFactory)
    official = factory.SubFactory(OfficialFactory)
    form = "written"
    group = None
    display_name = factory.LazyAttribute(lambda o: o.official.name if o.official else o.unit.name)
    unit_name = factory.LazyAttribute(lambda o: o.official.unit.name if o.official else o.unit.name)
    post = factory.LazyAttribute(lambda o: o.official.post if o.official else "")


# --- Surveys (phase 2) ----------------------------------------------------------------------


class QuestionnaireFactory(DjangoModelFactory):
    """A published questionnaire, open now for a week, with no questions yet."""

    class Meta:
        model = "surveys.Questionnaire"

    review = factory.SubFactory(ReviewFactory)
    title = factory.Sequence(lambda n: f"人大代表满意度测评问卷（{n}）")
    audience = "deputies"
    opens_at = factory.LazyFunction(lambda: _now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: _now() + timedelta(days=7))
    published_at = factory.LazyFunction(lambda: _now() - timedelta(days=1))


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = "surveys.Section"

    questionnaire = factory.SubFactory(QuestionnaireFactory)
    title = factory.Sequence(lambda n: f"第{n}部分")


class QuestionFactory(DjangoModelFactory):
    """A question; for a matrix pass subjects=[…] and dimensions=[…]."""

    class Meta:
        model = "surveys.Question"
        skip_postgeneration_save = True

    section = factory.SubFactory(SectionFactory)
    questionnaire = factory.SelfAttribute("section.questionnaire")
    kind = "satisfaction"
    text = factory.Sequence(lambda n: f"题目{n}")

    @factory.post_generation
    def subjects(self, create, extracted, **kwargs):
        if create and extracted:
            self.subjects.set(extracted)

    @factory.post_generation
    def dimensions(self, create, extracted, **kwargs):
        if create and extracted:
            self.dimensions.set(extracted)


def matrix_questionnaire(review, subjects, *, dimensions=None, **kwargs):
    """A published questionnaire with one section holding one matrix question over
    `subjects` × `dimensions` (default: the review's dimensions) and one optional text
    question."""
    questionnaire = QuestionnaireFactory(review=review, **kwargs)
    section = SectionFactory(questionnaire=questionnaire, title="满意度测评")
    if dimensions is None:
        dimensions = list(review.dimensions.all())
    QuestionFactory(
        section=section,
        kind="matrix",
        text="请对以下评议对象逐项评价",
        subjects=subjects,
        dimensions=dimensions,
        order=1,
    )
    QuestionFactory(section=section, kind="text", text="意见和建议", required=False, order=2)
    return questionnaire
