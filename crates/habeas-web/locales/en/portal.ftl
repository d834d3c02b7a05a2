# The "Mes données" portal (src/ui/portal*.rs). Every id starts with `portal-`;
# the comment above each group names the page it is for.

# Sign-in page (/portail, signed out).
portal-sign-in-intro = Enter the e-mail address we know for you. We will send it a single-use code to sign in, without a password.
portal-sign-in-email = E-mail address
portal-sign-in-send-code = Send me a code
portal-sign-in-notice-link = Privacy notice and its versions
portal-sign-in-title = Sign in to My data

# Code page (/portail/code and the link from the sign-in mail).
portal-code-label = Code received by e-mail (8 digits)
portal-code-submit = Sign in
portal-code-another = Ask for another code
portal-code-title = Enter the code

# Code page, after an address was entered.
portal-code-sent-if-registered = If this address is registered with us, a code has just been sent to it. It works once and expires in a few minutes.

# Code page, a code that does not work.
portal-code-wrong = Wrong, expired or already used code. Check it, or ask for another one.

# "Mes données" home page (/portail), the state of each consent.
portal-consent-never-asked = never asked
portal-consent-unknown-state = unknown state

# "Mes données" home page (/portail, signed in).
portal-nav-on-this-page = On this page
portal-nav-data = Your data
portal-nav-download = Download
portal-nav-purposes = Why we process them
portal-nav-consents = Your consents
portal-nav-rights = Your rights
portal-nav-accesses = Accesses
portal-act-title = Act on your data
portal-act-correct = Correct a field
portal-act-limits = Restrict or object to a processing
portal-act-requests = Follow your requests
portal-act-close-account = Close your account
portal-act-mail-lists = Your mail lists
portal-no-data = We hold no data about you.
portal-kept = Kept:
portal-recorded-on = Recorded on { $date }
portal-source = source:
portal-purposes = purposes:
portal-data-field = Field
portal-data-value = Value
portal-download-title = Download a copy
portal-download-json = Everything, as JSON
portal-download-csv = Everything, as CSV tables (zip archive)
portal-purposes-title = Why we process your data
portal-legal-basis = Legal basis:
portal-recipients = Recipients:
portal-recipients-title = Who receives your data
portal-transfers-title = Transfers outside the European Union
portal-consents-none = No processing relies on your consent.
portal-state = State:
portal-consent-withdraw = Withdraw my consent
portal-consent-give = Give my consent
portal-accesses-title = When and why your data was accessed
portal-accesses-none = Our audit journal records no access to your data.
portal-home-title = My data

# Account page (/portail/compte): close the account, reactivate it.
portal-account-closure-pending = Closure pending
portal-account-asked-on = You asked to close your account on { $date }.
portal-account-final-since = It has been final since { $date }.
portal-account-final-on = It becomes final on { $date }.
portal-account-reactivate = Reactivate my account
portal-account-grace-declared = Declared grace period: { $grace }.
portal-account-close-now-final-on = If you close your account now, the closure becomes final on{" "}
portal-account-close-now-until-then = ; until then you may reactivate it here.
portal-account-no-grace = No grace period is declared: erasure follows within the legal deadline of one month, with no reactivation.
portal-account-plan-title = What is erased, what is kept
portal-account-confirm-label = I confirm I want to close my account
portal-account-close = Close my account
portal-back-to-my-data = Back to My data
portal-account-title = Your account

# Account page, closing refused.
portal-account-confirm-missing = Tick the confirmation box to close your account.
portal-account-already-requested = The closure of your account is already requested.

# Account page, reactivation refused.
portal-account-not-pending = This closure is no longer pending: it was withdrawn or carried out.
portal-account-grace-over = The grace period is over: the closure is final and the account can no longer be reactivated.

# Correction page (/portail/corriger).
portal-correct-intro = You may have any inaccurate data corrected or completed (GDPR Art. 16). An e-mail address that identifies you changes only after you confirm a code sent to the new address.
portal-correct-submit = Correct

# Correction page, a correction refused.
portal-correct-unknown-record = This record is not (or no longer) among yours; reload the page.
portal-correct-bad-email = The new value is not a valid e-mail address (example: name@example.com).

# Correction page, the code sent to a new e-mail address.
portal-correct-code-sent = A code has just been sent to the new address. Enter it to confirm the address is yours; the current address stays until then.
portal-correct-code-label = Code received at the new address
portal-correct-code-submit = Confirm the new address
portal-correct-cancel = Cancel

# Restrict-or-object page (/portail/limiter).
portal-limits-intro = Restricting a processing (GDPR Art. 18) suspends it: your data is kept but no longer used for this purpose. Objecting (Art. 21) stops it; for direct marketing the objection is absolute (Art. 21(3)). Each choice is recorded as a request you follow in "Your requests".
portal-limits-none = No processing concerns your data.
portal-limits-state-restricted = restricted at your request
portal-limits-state-objected = stopped on your objection
portal-limits-state-overridden = objection overridden by compelling legitimate grounds (Art. 21(1))
portal-limits-state-active = active
portal-limits-restrict = Restrict this processing
portal-limits-object-marketing = Object to direct marketing
portal-limits-object = Object to this processing
portal-limits-title = Restrict or object

# Restrict-or-object page, a request refused.
portal-limits-unknown-action = Unknown action: choose "Restrict" or "Object".
portal-limits-not-yours = This processing does not concern your data: choose one from the list.
portal-limits-objection-not-applicable = This processing rests neither on legitimate interests nor on a public task and is not direct marketing: objection (Art. 21) does not apply. You may ask for its restriction (Art. 18), or withdraw your consent if it rests on it.

# Mail lists page (/portail/listes), the name of each list.
portal-mail-list-perso = Personal correspondents (mail marked as personal)
portal-mail-list-allow = Allowed senders (never filtered)
portal-mail-list-deny = Denied senders

# Mail lists page, a mailbox shared by several accounts.
portal-mail-shared-mailbox = Several accounts share this mailbox: contact us to manage your lists.

# Mail lists page (/portail/listes).
portal-mail-none-intro = You have no mail lists with us. They are created from your mail service.
portal-mail-mailbox = Mailbox:
portal-mail-entry-help = An entry is an address (name@example.com) or a whole domain (@example.com). An entry can be in one list only.
portal-mail-empty-list = Empty list.
portal-mail-remove-entry = Remove { $entry }
portal-mail-remove = Remove
portal-mail-add-entry = Add an entry
portal-mail-list-label = List
portal-mail-entry-label = Address or @domain
portal-mail-add = Add
portal-mail-marking-title = How personal mail is marked
portal-mail-marking-keyword = IMAP keyword (leaves the message unchanged)
portal-mail-marking-folder = File into folder (empty: no)
portal-mail-marking-prefix = Prefix the subject with (empty: no; breaks the DKIM signature)
portal-mail-marking-save = Save the marking

# Mail lists page, a change refused.
portal-mail-none = You have no mail lists with us.

# Mail lists page, an unknown list.
portal-mail-unknown-list = Unknown list: choose personal correspondents, allowed or denied.

# Privacy notice page (/portail/politique), each version.
portal-notice-version = Version { $version }
portal-notice-published = Published on
portal-notice-in-force-from = In force from
portal-notice-kind = Kind of change
portal-notice-substantial = substantial (announced in advance)
portal-notice-minor = minor
portal-notice-sha256 = SHA-256 of the text
portal-notice-changes-since = Changes since version { $version }
portal-notice-added = added:
portal-notice-removed = removed:
portal-notice-text = Text of this version

# Privacy notice page (/portail/politique).
portal-notice-none = No version of the privacy notice is published here yet.
portal-notice-version-in-force = Version in force:
portal-notice-intro = Every version stays readable with its dates and the changes from the one before. A substantial change is announced to you in advance.
portal-notice-title = Privacy notice

# Any action page, a refused code (correction).
portal-refused-code = Wrong, expired or already used code. Check it, or start the correction again to receive another one.

# Refused-action page (any portal action, status 422).
portal-refused-nothing-changed = Nothing was changed.
portal-refused-go-back = Go back
portal-refused-title = Action refused

# Refused-action page, a request of someone else.
portal-refused-not-yours = This request is not one of yours; start again from the "Correct a field" page.

# Requests page (/portail/demandes).
portal-requests-intro = We answer every request within the legal deadline of one month from receipt, which may be extended by two months for complex requests, in which case we tell you why (GDPR Art. 12(3)). The delay we committed to is shown where there is one.
portal-requests-none = You have made no request.
portal-requests-caption = Your requests, newest first
portal-requests-col-reference = Reference
portal-requests-col-request = Request
portal-requests-col-status = Status
portal-requests-col-received = Received on
portal-requests-col-legal-deadline = Legal deadline
portal-requests-col-promised = Promised delay
portal-requests-extended = (extended)
portal-requests-no-commitment = no commitment declared
portal-requests-title = Your requests
portal-requests-withdrawn-on = withdrawn on { $date }

# Refused-action page, a correction or a step of a request refused (with the reason).
portal-refused-correction = Correction refused: { $reason }
portal-refused-action = Action refused: { $reason }

# Confirmations shown after an action (?fait=…), on the requests, correction, account and lists pages.
portal-done-correction = Your data is corrected. The rectification request is recorded and closed.
portal-done-limitation = The restriction is in force: this processing is suspended for your data. Your request is listed below.
portal-done-opposition = Your objection is in force: this processing has stopped for your data. Your request is listed below.
portal-done-fermeture = The closure of your account is recorded. You may revoke it until the date shown.
portal-done-reactivation = Your account is reactivated: the closure request is withdrawn.
portal-done-liste = Your lists are changed.

# "Mes données" home page, the state of each consent.
portal-consent-given-on = given on { $date }
portal-consent-refused-on = refused on { $date }
portal-consent-withdrawn-on = withdrawn on { $date }

# "Corriger une donnée": a value that cannot be stored.
portal-correct-value-too-long = The new value must be at most { $max } characters, with no control character.

# Restrict-or-object page (/portail/limiter): the subject lifts a restriction.
portal-limits-lift = Lift this restriction
portal-limits-lift-not-restricted = This processing is not restricted for your data: there is no restriction to lift. An objection is not lifted here.
portal-limits-lifted-title = Restriction lifted
portal-limits-lifted = The restriction of "{ $purpose }" is lifted as of { $date }: this processing resumes for your data.
portal-limits-back-to-limits = Back to Restrict or object
