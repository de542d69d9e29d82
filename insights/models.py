"""The insights own no data: question records and feedback belong to chat. This proxy of
Course only gives the admin its "Insights" section (a list of courses, each one's page)."""

from django.utils.translation import gettext_lazy as _

from courses.models import Course


class CourseInsights(Course):
    class Meta:
        proxy = True
        verbose_name = _("course insights")
        verbose_name_plural = _("course insights")
