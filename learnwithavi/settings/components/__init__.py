"""The settings of one concern per module; `learnwithavi.settings.base` composes them."""
