# The "Mes données" portal (src/ui/portal*.rs). Every id starts with `portal-`;
# the comment above each group names the page it is for.

# Sign-in page (/portail, signed out).
portal-enter-e-mail-address = Enter the e-mail address we know for you. We will send it a single-use code to sign in, without a password.
portal-e-mail-address = E-mail address
portal-send-me-code = Send me a code
portal-privacy-notice-its-versions = Privacy notice and its versions
portal-sign-in-my-data = Sign in to My data

# Code page (/portail/code and the link from the sign-in mail).
portal-code-received-by-e = Code received by e-mail (8 digits)
portal-sign-in = Sign in
portal-ask-for-another-code = Ask for another code
portal-enter-code = Enter the code

# Code page, after an address was entered.
portal-if-this-address-registered = If this address is registered with us, a code has just been sent to it. It works once and expires in a few minutes.

# Code page, a code that does not work.
portal-wrong-expired-or-already = Wrong, expired or already used code. Check it, or ask for another one.

# "Mes données" home page (/portail), the state of each consent.
portal-never-asked = never asked
portal-unknown-state = unknown state

# "Mes données" home page (/portail, signed in).
portal-this-page = On this page
portal-data = Your data
portal-download = Download
portal-why-we-process-them = Why we process them
portal-consents = Your consents
portal-rights = Your rights
portal-accesses = Accesses
portal-act-data = Act on your data
portal-correct-field = Correct a field
portal-restrict-or-object-processing = Restrict or object to a processing
portal-follow-requests = Follow your requests
portal-close-account = Close your account
portal-mail-lists = Your mail lists
portal-we-hold-no-data = We hold no data about you.
portal-kept = Kept:
portal-recorded-on = Recorded on { $date }
portal-source = source:
portal-purposes = purposes:
portal-field = Field
portal-value = Value
portal-download-copy = Download a copy
portal-everything-as-json = Everything, as JSON
portal-everything-as-csv-tables = Everything, as CSV tables (zip archive)
portal-why-we-process-data = Why we process your data
portal-legal-basis = Legal basis:
portal-recipients = Recipients:
portal-who-receives-data = Who receives your data
portal-transfers-outside-european-union = Transfers outside the European Union
portal-no-processing-relies-consent = No processing relies on your consent.
portal-state = State:
portal-withdraw-my-consent = Withdraw my consent
portal-give-my-consent = Give my consent
portal-when-why-data-was = When and why your data was accessed
portal-our-audit-journal-records = Our audit journal records no access to your data.
portal-my-data = My data

# Account page (/portail/compte): close the account, reactivate it.
portal-account-closure-pending = Closure pending
portal-account-asked-on = You asked to close your account on { $date }.
portal-account-final-since = It has been final since { $date }.
portal-account-final-on = It becomes final on { $date }.
portal-account-reactivate-my-account = Reactivate my account
portal-account-grace-declared = Declared grace period: { $grace }.
portal-account-if-you-close-account = If you close your account now, the closure becomes final on{" "}
portal-account-until-then-you-may = ; until then you may reactivate it here.
portal-account-no-grace-period-declared = No grace period is declared: erasure follows within the legal deadline of one month, with no reactivation.
portal-account-what-erased-what-kept = What is erased, what is kept
portal-account-i-confirm-i-want = I confirm I want to close my account
portal-account-close-my-account = Close my account
portal-back-to-my-data = Back to My data
portal-account-account = Your account

# Account page, closing refused.
portal-account-tick-confirmation-box-close = Tick the confirmation box to close your account.
portal-account-closure-account-already-requested = The closure of your account is already requested.

# Account page, reactivation refused.
portal-account-this-closure-no-longer = This closure is no longer pending: it was withdrawn or carried out.
portal-account-grace-period-over-closure = The grace period is over: the closure is final and the account can no longer be reactivated.

# Correction page (/portail/corriger).
portal-correct-you-may-have-any = You may have any inaccurate data corrected or completed (GDPR Art. 16). An e-mail address that identifies you changes only after you confirm a code sent to the new address.
portal-correct-correct = Correct

# Correction page, a correction refused.
portal-correct-this-record-not-or = This record is not (or no longer) among yours; reload the page.
portal-correct-new-value-not-valid = The new value is not a valid e-mail address (example: name@example.com).

# Correction page, the code sent to a new e-mail address.
portal-correct-code-has-just-been = A code has just been sent to the new address. Enter it to confirm the address is yours; the current address stays until then.
portal-correct-code-received-at-new = Code received at the new address
portal-correct-confirm-new-address = Confirm the new address
portal-correct-cancel = Cancel

# Restrict-or-object page (/portail/limiter).
portal-limits-restricting-processing-gdpr-art = Restricting a processing (GDPR Art. 18) suspends it: your data is kept but no longer used for this purpose. Objecting (Art. 21) stops it; for direct marketing the objection is absolute (Art. 21(3)). Each choice is recorded as a request you follow in "Your requests".
portal-limits-no-processing-concerns-data = No processing concerns your data.
portal-limits-restricted-at-request = restricted at your request
portal-limits-stopped-objection = stopped on your objection
portal-limits-objection-overridden-by-compelling = objection overridden by compelling legitimate grounds (Art. 21(1))
portal-limits-active = active
portal-limits-restrict-this-processing = Restrict this processing
portal-limits-object-direct-marketing = Object to direct marketing
portal-limits-object-this-processing = Object to this processing
portal-limits-restrict-or-object = Restrict or object

# Restrict-or-object page, a request refused.
portal-limits-unknown-action-choose-restrict = Unknown action: choose "Restrict" or "Object".
portal-limits-this-processing-does-not = This processing does not concern your data: choose one from the list.
portal-limits-this-processing-rests-neither = This processing rests neither on legitimate interests nor on a public task and is not direct marketing: objection (Art. 21) does not apply. You may ask for its restriction (Art. 18), or withdraw your consent if it rests on it.

# Mail lists page (/portail/listes), the name of each list.
portal-mail-personal-correspondents-mail-marked = Personal correspondents (mail marked as personal)
portal-mail-allowed-senders-never-filtered = Allowed senders (never filtered)
portal-mail-denied-senders = Denied senders

# Mail lists page, a mailbox shared by several accounts.
portal-mail-several-accounts-share-this = Several accounts share this mailbox: contact us to manage your lists.

# Mail lists page (/portail/listes).
portal-mail-you-have-no-mail = You have no mail lists with us. They are created from your mail service.
portal-mail-mailbox = Mailbox:
portal-mail-entry-address-name-example = An entry is an address (name@example.com) or a whole domain (@example.com). An entry can be in one list only.
portal-mail-empty-list = Empty list.
portal-mail-remove-entry = Remove { $entry }
portal-mail-remove-2 = Remove
portal-mail-add-entry = Add an entry
portal-mail-list = List
portal-mail-address-or-domain = Address or @domain
portal-mail-add = Add
portal-mail-how-personal-mail-marked = How personal mail is marked
portal-mail-imap-keyword-leaves-message = IMAP keyword (leaves the message unchanged)
portal-mail-file-into-folder-empty = File into folder (empty: no)
portal-mail-prefix-subject-with-empty = Prefix the subject with (empty: no; breaks the DKIM signature)
portal-mail-save-marking = Save the marking

# Mail lists page, a change refused.
portal-mail-you-have-no-mail-2 = You have no mail lists with us.

# Mail lists page, an unknown list.
portal-mail-unknown-list-choose-personal = Unknown list: choose personal correspondents, allowed or denied.

# Privacy notice page (/portail/politique), each version.
portal-notice-version = Version { $version }
portal-notice-published = Published on
portal-notice-in-force-from = In force from
portal-notice-kind-change = Kind of change
portal-notice-substantial-announced-in-advance = substantial (announced in advance)
portal-notice-minor = minor
portal-notice-sha-256-text = SHA-256 of the text
portal-notice-changes-since = Changes since version { $version }
portal-notice-added = added:
portal-notice-removed = removed:
portal-notice-text-this-version = Text of this version

# Privacy notice page (/portail/politique).
portal-notice-no-version-privacy-notice = No version of the privacy notice is published here yet.
portal-notice-version-in-force = Version in force:
portal-notice-every-version-stays-readable = Every version stays readable with its dates and the changes from the one before. A substantial change is announced to you in advance.
portal-notice-privacy-notice = Privacy notice

# Any action page, a refused code (correction).
portal-requests-wrong-expired-or-already = Wrong, expired or already used code. Check it, or start the correction again to receive another one.

# Refused-action page (any portal action, status 422).
portal-requests-nothing-was-changed = Nothing was changed.
portal-requests-go-back = Go back
portal-requests-action-refused = Action refused

# Refused-action page, a request of someone else.
portal-requests-this-request-not-one = This request is not one of yours; start again from the "Correct a field" page.

# Requests page (/portail/demandes).
portal-requests-we-answer-every-request = We answer every request within the legal deadline of one month from receipt, which may be extended by two months for complex requests, in which case we tell you why (GDPR Art. 12(3)). The delay we committed to is shown where there is one.
portal-requests-you-have-made-no = You have made no request.
portal-requests-requests-newest-first = Your requests, newest first
portal-requests-reference = Reference
portal-requests-request = Request
portal-requests-status = Status
portal-requests-received = Received on
portal-requests-legal-deadline = Legal deadline
portal-requests-promised-delay = Promised delay
portal-requests-extended = (extended)
portal-requests-no-commitment-declared = no commitment declared
portal-requests-requests = Your requests
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
portal-limits-lift-this-restriction = Lift this restriction
portal-limits-lift-not-restricted = This processing is not restricted for your data: there is no restriction to lift. An objection is not lifted here.
portal-limits-lifted-title = Restriction lifted
portal-limits-lifted = The restriction of "{ $purpose }" is lifted as of { $date }: this processing resumes for your data.
portal-limits-back-to-limits = Back to Restrict or object
