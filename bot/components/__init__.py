"""Custom Rasa graph components, referenced from config.yml by module path.

Loading them also applies our Rasa runtime fixes (bot.rasa_patches), so every Rasa process
that runs this model gets them.
"""

from bot import rasa_patches

rasa_patches.apply()
