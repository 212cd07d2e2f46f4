"""Jieba tokenization over script-folded text (Traditional → Simplified, full-width → ASCII)."""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from core.language import fold


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class FoldingJiebaTokenizer(JiebaTokenizer):
    """Jieba's dictionary and our features are Simplified-centred; folding the script first
    gives Traditional messages the same segmentation and the same features. Offsets stay
    those of the original text (folding keeps the length)."""

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        import jieba

        text = fold(message.get(attribute) or "")
        tokens = [Token(word, start) for (word, start, _) in jieba.tokenize(text) if word.strip()]
        return self._apply_token_pattern(tokens)
