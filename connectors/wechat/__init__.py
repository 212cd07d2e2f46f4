"""A WeChat Official Account (公众号) as a Rasa channel, on wechatpy.

Rasa has no WeChat channel of its own; this one is a plug-in like connectors/telegram: the
credentials file names the class, the channel owns its webhook and its output, and nothing else
in the project knows about WeChat. Configure it in credentials.yml (docs/wechat.md):

    connectors.wechat.WeChatInput:
      token: ${WECHAT_TOKEN}                  # 令牌(Token) of the admin console's server settings
      appid: ${WECHAT_APPID}
      secret: ${WECHAT_SECRET}                # AppSecret: fetches the access token
      encoding_aes_key: ${WECHAT_AES_KEY}     # 消息加解密密钥, 43 characters; safe mode
      # public_url: https://shop.example.com  # for `python -m connectors.wechat check`
      # api_base_url: another API server (the tests' stand-in); redis_url: defaults to REDIS_URL

Check it with `python -m connectors.wechat check --credentials credentials.yml`.

The modules, one job each: `text` (splitting replies, numbered choices), `credentials` (the
section), `state` (MsgIds, unfinished messages, pending choices, last inbound time; Redis and
memory), `inbound` (a message as kept until done), `sweeper` (running what a dead process left
unfinished), `client` (the API and its access token), `output` and `channel` (Rasa's output and
input channels), `cli`.
"""

from connectors.wechat.channel import WeChatInput
from connectors.wechat.credentials import SECTION
from connectors.wechat.output import WeChatOutput

__all__ = ["SECTION", "WeChatInput", "WeChatOutput"]
