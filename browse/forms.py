"""The public's one form: "report a problem" on a trial page.

No third-party captcha (no third-party requests, PRODUCT.md). Spam is kept out by a honeypot
field, a per-address rate limit (browse/ratelimit.py), and rules that plain-text reports always
pass and link spam and script injection do not.
"""

import re

from django import forms

from trials.models.curation import REPORT_CONTACT_MAX, REPORT_MESSAGE_MAX

# The honeypot's name: a field bots fill in and people never see.
HONEYPOT = "website"
MESSAGE_MIN = 10
MAX_LINKS = 2

# Markup, not prose: "<" followed by a letter, "/", "!" or "?" opens a tag, a closing tag, a
# comment or a processing instruction. "dose < 5 million" and "<5 years" stay allowed.
MARKUP = re.compile(r"<[a-z/!?]", re.IGNORECASE)
# Script URLs, also when split by whitespace or control characters ("java\tscript:").
SCRIPT_URL = re.compile(r"(?:java|vb)[\s\x00-\x1f]*script[\s\x00-\x1f]*:|data:\s*text/html", re.I)
# A link is a URL or a bare www. address; "https://www.x.org" counts once.
LINK = re.compile(r"(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)

PLAIN_TEXT_ERROR = (
    "Please write plain text, without HTML tags or script links. If you need a “less than” "
    "sign, put a space after it (“< 5”)."
)


class ProblemReportForm(forms.Form):
    message = forms.CharField(
        label="What is wrong or missing?",
        help_text=(
            "For example a wrong number of participants, a status that has changed, or a "
            f"newer publication. Plain text, {MESSAGE_MIN} to {REPORT_MESSAGE_MAX:,} characters."
        ),
        min_length=MESSAGE_MIN,
        max_length=REPORT_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Please tell us what is wrong.",
            "min_length": (
                "Please tell us a little more: at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
            "max_length": (
                "Please shorten your message to %(limit_value)d characters or fewer "
                "(it has %(show_value)d)."
            ),
        },
    )
    contact = forms.EmailField(
        label="Your e-mail address (optional)",
        help_text="Only if you are happy for a curator to ask you about it. Never shown or shared.",
        required=False,
        max_length=REPORT_CONTACT_MAX,
        error_messages={
            "invalid": "Please enter an e-mail address like name@example.org, or leave it empty.",
            "max_length": (
                "Please use an e-mail address of %(limit_value)d characters or fewer "
                "(it has %(show_value)d)."
            ),
        },
    )
    # Hidden from people by CSS and from assistive technology by aria-hidden (in the
    # template), skipped by the Tab key; bots that fill every field give themselves away.
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "report-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @property
    def is_bot(self) -> bool:
        """True when the honeypot was filled in: answer as if it worked, keep nothing."""
        return bool(str(self.data.get(HONEYPOT, "")).strip())

    def clean_message(self) -> str:
        message = self.cleaned_data["message"]
        if MARKUP.search(message) or SCRIPT_URL.search(message):
            raise forms.ValidationError(PLAIN_TEXT_ERROR, code="markup")
        if len(LINK.findall(message)) > MAX_LINKS:
            raise forms.ValidationError(
                f"Please include at most {MAX_LINKS} links: messages with more look like "
                "spam to us.",
                code="links",
            )
        return message
