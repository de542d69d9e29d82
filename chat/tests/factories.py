import factory

from accounts.tests.factories import UserFactory
from chat.models import AnswerFeedback, Conversation, Message, QuestionRecord


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Question {n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    role = Message.Role.USER
    content = "What is overfitting?"


class QuestionRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionRecord

    text = factory.Sequence(lambda n: f"Question {n}?")
    language = "en"
    best_score = 0.03
    answered = True


class AnswerFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnswerFeedback

    message = factory.SubFactory(MessageFactory, role=Message.Role.ASSISTANT, content="An answer.")
    rating = AnswerFeedback.Rating.UP
