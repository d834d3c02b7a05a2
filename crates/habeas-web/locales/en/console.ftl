# Staff sign-in and the DPO console (src/ui/staff.rs, src/ui/console*.rs).

# Console frame, requests list, breaches, journal (src/ui/console.rs: /console, /console/violations, /console/journal)
console-requests = Requests
console-breaches = Breaches
console-journal = Journal
console-retention = Retention
console-register = Register
console-notice = Notice
console-alerts = Alerts
console-staff = Staff
console-signed-in-as = Signed in as{" "}
console-session-valid-until = session valid until{" "}
console-no-open-request = No open request.
console-open-requests-most-urgent-first = Open requests, most urgent first
console-reference = Reference
console-right = Right
console-received = Received
console-status = Status
console-next-due = Next due
console-legal-deadline = Legal deadline
console-urgency = Urgency
console-rights-requests = Rights requests
console-no-breach-in-the-register = No breach in the register.
console-breach-register-art-33-5-gdpr = Breach register (Art. 33(5) GDPR)
console-open = Open
console-certainty = Certainty
console-aware-since = Aware since
console-authority-due = Authority due
console-to-do = To do
console-yes = yes
console-no = no
console-some-stored-breaches-cannot-be-read = Some stored breaches cannot be read; inspect them:
console-data-breaches = Data breaches
console-verified-on = Verified on{" "}
console-journal-intact-every-entry-chains-and = Journal intact: every entry chains and every signed checkpoint holds.
console-entries-kept = Entries kept
console-signed-checkpoints = Signed checkpoints
console-entries-after-the-last-signed-checkpoint = Entries after the last signed checkpoint
console-journal-tampered-the-chain-is-broken = Journal TAMPERED: the chain is broken.
console-first-broken-entry = First broken entry
console-reason = Reason
console-audit-journal = Audit journal
console-journal-retention = Journal retention
console-journal-retention-none = No period declared: the journal is kept whole ([audit] retention in habeas.toml).
console-journal-retention-periods = Declared periods
console-journal-retention-incident = for an incident:
console-journal-retention-cutoff = Dropped daily up to the signed checkpoint before
console-journal-retention-held-by = Held back by breach

# Alerts (src/ui/console_alerts.rs: /console/alertes)
console-alerts-access-refused = access refused
console-alerts-category = category{" "}
console-alerts-bulk-read = bulk read
console-alerts-no-alert-in-the-recent-part = No alert in the recent part of the journal.
console-alerts-alerts-newest-first = Alerts, newest first
console-alerts-date = Date
console-alerts-alert = Alert
console-alerts-identity = Identity
console-alerts-detail = Detail
console-alerts-purpose = Purpose
console-alerts-alerts = Alerts

# Notice versions and announcements (src/ui/console_notices.rs: /console/politique)
console-notices-no-version-published-habeas-notice-publish = No version published (`habeas notice publish`).
console-notices-privacy-notice-versions-newest-first = Privacy notice versions, newest first
console-notices-version = Version
console-notices-status = Status
console-notices-published = Published
console-notices-in-force-from = In force from
console-notices-substantial = Substantial
console-notices-changes = Changes
console-notices-announcement-recipients = Announcement: recipients
console-notices-sent = Sent
console-notices-pending = Pending
console-notices-failed = Failed
console-notices-yes = yes
console-notices-no = no
console-notices-first-version = first version
console-notices-announcement-not-queued-yet = announcement not queued yet
console-notices-no-announcement-minor-change = no announcement (minor change)
console-notices-privacy-notice-versions-and-announcements = Privacy notice: versions and announcements

# Register and declarations check (src/ui/console_register.rs: /console/registre)
console-register-controller-art-30-1 = Controller (Art. 30(1))
console-register-processor-art-30-2 = Processor (Art. 30(2))
console-register-error = error
console-register-warning = warning
console-register-no-finding-the-declarations-pass-every = No finding: the declarations pass every rule.
console-register-habeas-check-findings = `habeas check` findings
console-register-rule = Rule
console-register-severity = Severity
console-register-file-line = File:line
console-register-message = Message
console-register-how-to-fix = How to fix
console-register-register-view = Register view
console-register-declarations-check = Declarations check
console-register-register-of-processing-activities = Register of processing activities —{" "}
console-register-register-and-check = Register and check

# One request: history, clocks, workflow (src/ui/console_requests.rs: /console/demandes/ID)
console-request-the-subject-was-told-by-e = {" "}The subject was told by e-mail.
console-request-the-e-mail-to-the-subject = {" "}The e-mail to the subject could not be sent: tell them another way.
console-request-deadlines = Deadlines
console-request-received = Received
console-request-statutory-deadline-gdpr-art-12-3 = Statutory deadline (GDPR Art. 12(3), one month)
console-request-extended-deadline-in-force = Extended deadline in force
console-request-aim-for = Aim for
console-request-provider-s-promised-delay = Provider's promised delay
console-request-no-promised-delay-declared = no promised delay declared
console-request-next-due = Next due
console-request-urgency = Urgency
console-request-reference = Reference
console-request-right = Right
console-request-channel = Channel
console-request-status = Status
console-request-subject-pseudonymous-id = Subject (pseudonymous id)
console-request-identity-verified-on = Identity verified on
console-request-not-yet = not yet
console-request-history = History
console-request-steps-of-the-request-oldest-first = Steps of the request, oldest first
console-request-date = Date
console-request-step = Step
console-request-this-request-is-closed-it-takes = This request is closed: it takes no further step.
console-request-your-roles-let-you-read-this = Your roles let you read this request, not move it forward.
console-request-actions = Actions
console-request-the-acknowledgment-is-mailed-to-the = The acknowledgment is mailed to the contact on file, with the deadlines.
console-request-already-given-another-way-post-phone = Already given another way (post, phone): send no e-mail
console-request-you-are-recorded-as-the-one = You are recorded as the one who checked (GDPR Art. 12(6)). Prefer a code sent to the contact on file (habeas requests send-code).
console-request-method = Method
console-request-the-subject-was-signed-in-to = The subject was signed in to their account
console-request-document-shown-no-copy-kept = Document shown (no copy kept)
console-request-why-this-method-is-proportionate-required = Why this method is proportionate (required for a document)
console-request-checked-on-utc-empty-now = Checked on (UTC, empty: now)
console-request-one-extension-only-of-at-most = One extension only, of at most two months, decided within the first month; the subject is told by e-mail with the justification (GDPR Art. 12(3)).
console-request-further-months = Further months
console-request-justification-complexity-number-of-requests = Justification (complexity, number of requests)
console-request-tick-the-activities-concerned-the-vault = Tick the activities concerned: the vault then refuses every read and write for them (GDPR Art. 18 / 21).
console-request-the-subject-is-told-by-e = The subject is told by e-mail.
console-request-reason = Reason
console-request-another-legal-ground-name-it = Another legal ground (name it)
console-request-legal-ground-if-other = Legal ground, if "other"
console-request-explanation-the-subject-reads-the-remedies = Explanation the subject reads (the remedies are added)
console-request-all-open-requests = ← All open requests
console-request-step-refused-nothing-changed = Step refused, nothing changed
console-request-unreadable-verification-date-use-yyyy-mm = Unreadable verification date: use YYYY-MM-DDTHH:MM (UTC) or leave it empty.
console-request-unreadable-request-version-reload-the-page = Unreadable request version: reload the page.

# Retention: plan, purges, legal holds (src/ui/console_retention.rs: /console/conservation)
console-retention-due-next-by-category = Due next, by category
console-retention-dry-run-as-of = Dry run as of{" "}
console-retention-nothing-falls-due-within-the-horizon = Nothing falls due within the horizon.
console-retention-retention-due-art-5-1-e = Retention due (Art. 5(1)(e) GDPR)
console-retention-category = Category
console-retention-next-due = Next due
console-retention-to-delete-now = To delete now
console-retention-to-anonymise-now = To anonymise now
console-retention-scheduled-within-the-horizon = Scheduled within the horizon
console-retention-kept-hold = Kept (hold)
console-retention-undeclared-category = Undeclared category
console-retention-last-purges = Last purges
console-retention-no-purge-in-the-recent-part = No purge in the recent part of the journal.
console-retention-journaled-purges-newest-first = Journaled purges, newest first
console-retention-date = Date
console-retention-by = By
console-retention-records-removed = Records removed
console-retention-journal-entry = Journal entry
console-retention-legal-holds-in-force = Legal holds in force
console-retention-no-hold-in-force = No hold in force.
console-retention-holds-that-suspend-the-purge = Holds that suspend the purge
console-retention-hold = Hold
console-retention-scope = Scope
console-retention-reason = Reason
console-retention-placed = Placed
console-retention-until = Until
console-retention-subject = subject{" "}
console-retention-category-2 = category{" "}
console-retention-release = release
console-retention-retention = Retention

# Staff and tokens (src/ui/console_staff.rs: /console/equipe)
console-staff-yes = yes
console-staff-no = no
console-staff-staff-accounts = Staff accounts
console-staff-accounts-by-login-habeas-staff-list = Accounts by login (`habeas staff list`)
console-staff-login = Login
console-staff-display-name = Display name
console-staff-roles = Roles
console-staff-totp-enrolled = TOTP enrolled
console-staff-totp-required = TOTP required
console-staff-recovery-codes-left = Recovery codes left
console-staff-disabled = Disabled
console-staff-last-sign-in = Last sign-in
console-staff-application-tokens = Application tokens
console-staff-no-token-habeas-token-create = No token (`habeas token create`).
console-staff-tokens-newest-first-the-secret-is = Tokens, newest first; the secret is never shown
console-staff-token = Token
console-staff-name = Name
console-staff-purposes = Purposes
console-staff-categories = Categories
console-staff-created = Created
console-staff-revoked = Revoked
console-staff-all-of-its-purposes = all of its purposes'
console-staff-staff-and-tokens = Staff and tokens

# Staff sign-in, password, TOTP (src/ui/staff.rs: /console/connexion, /console/mot-de-passe, /console/totp)
staff-login = Login
staff-password = Password
staff-authenticator-app-code-or-recovery-code = Authenticator app code or recovery code
staff-only-if-your-account-has-a = Only if your account has a second factor.
staff-sign-in = Sign in
staff-your-initial-password-works-once-choose = Your initial password works once: choose your own (at least 12 characters, without your login).
staff-current-password = Current password
staff-new-password = New password
staff-confirm-the-new-password = Confirm the new password
staff-change-password = Change password
staff-change-password-2 = Change password
staff-the-two-new-passwords-differ-type = The two new passwords differ: type them again.
staff-scan-this-code-with-your-authenticator = Scan this code with your authenticator app (or type the key below), then enter the 6-digit code it shows.
staff-key-to-type = Key to type:{" "}
staff-6-digit-code = 6-digit code
staff-enable = Enable
staff-second-factor-totp = Second factor (TOTP)
staff-second-factor-enabled = Second factor enabled.
staff-here-are-your-ten-recovery-codes = Here are your ten recovery codes. Each works once, if you lose your phone. Write them down now: they will not be shown again.
staff-continue = Continue
staff-recovery-codes = Recovery codes
staff-start-enrolment-again = Start enrolment again
# Workflow form errors (src/ui/console_requests.rs)
console-request-the-request-is-linked-to-no = The request is linked to no subject: there is no contact on file to write to. Tick "already given another way" if it was given.
console-request-unknown-verification-method-choose-signed-in = Unknown verification method: choose "signed in" or "document".
console-request-give-1-or-2-further-months = Give 1 or 2 further months.
console-request-unknown-refusal-reason-or-other-without = Unknown refusal reason, or "other" without a legal ground: pick a reason from the list or name the ground.
console-request-this-action-belongs-to-the-breach = This action belongs to the breach register, not to a request.

# Messages with variables, by page
# Alerts (/console/alertes): a bulk read's detail, the rule, the journal window.
console-alerts-bulk-detail = { $count } subjects read from { $from } to { $to }
console-alerts-bulk-rule = Bulk read: one identity reading at least { $subjects } distinct subjects within { $minutes } minutes.
console-alerts-window = Journal examined from entry #{ $from } (at most { $window } entries); older ones remain readable with `habeas audit`.
# Notice versions (/console/politique): lines added and removed.
console-notices-lines-changed = +{ $added } / −{ $removed } lines
# Register (/console/registre)
console-register-files-checked = { $count } declaration files checked.
console-register-unknown-view = Unknown register view `{ $view }`: choose `controller` or `processor` (links above).
# One request (/console/demandes/ID)
console-request-step-recorded = Step recorded: { $step }.
console-request-title = Request { $id }
# Retention (/console/conservation)
console-retention-horizon = , horizon { $days } days (as `habeas purge --dry-run`).
console-retention-window = Journal searched from entry #{ $from }; older ones remain readable with `habeas audit`.
# Sign-in page title (/console/connexion)
staff-sign-in-title = Staff sign-in

# Console actions: buttons and notes (src/ui/console.rs action_label; the table is habeas-auth console.rs)
console-action-acknowledge = Acknowledge
console-action-proof = Record identity proof
console-action-start = Start work
console-action-extend = Extend the deadline
console-action-refuse = Refuse
console-action-done = Mark as answered
console-action-breach-update = Update
console-action-breach-close = Close the breach
console-action-hold-place = Place the hold
console-action-hold-release = Release the hold
console-action-notice-announce = Announce to subjects
console-action-staff-disable = Disable the account
console-action-staff-reset-totp = Reset TOTP
console-action-token-revoke = Revoke the token
console-request-not-a-request-action = This action does not concern a request.

# Console actions, shared (src/ui/console_act.rs)
console-refused-detail = Refused: { $detail }

# Retention: placing and releasing legal holds (src/ui/console_retention.rs: /console/conservation)
console-retention-release-col = Release
console-retention-field-release-reason = Reason for release
console-retention-place-title = Place a legal hold
console-retention-place-help = A hold suspends the purge of one subject or one category while legal claims require it (Art. 17(3)(e) GDPR). Give one or the other, never an address; keep names out of the reason.
console-retention-field-subject = Subject (sub_… id)
console-retention-field-category = or declared category
console-retention-no-category = — none —
console-retention-field-reason = Reason (claim, proceedings, reference)
console-retention-field-until = Until (optional, inclusive)
console-retention-placed-note = Hold { $id } placed.
console-retention-released-note = Hold { $id } released.
console-retention-error-scope = Give either a subject id (sub_…) or a declared category: one of the two. Nothing changed.
console-retention-error-subject = Unknown data subject: give the vault's sub_… id, never an address. Nothing changed.
console-retention-error-category = Category `{ $category }` is not declared (see declarations/). Nothing changed.
console-retention-error-reason = A reason is required: say which claim or proceedings require keeping the data (Art. 17(3)(e)). Nothing changed.
console-retention-error-reason-long = Reason too long (at most { $max } characters): give a short reason and a reference. Nothing changed.
console-retention-error-until = Unreadable end date: YYYY-MM-DD is expected. Nothing changed.
console-retention-error-until-past = The end date has passed: give a later date, or none to hold until released. Nothing changed.
console-retention-error-release-reason = A reason for the release is required: say why the data need no longer be kept. The hold stays in force.
console-retention-error-unknown-hold = Unknown hold: { $id }. Nothing changed.
console-retention-error-already-released = This hold is already released; nothing changed.

# Notice versions: announcing a version (src/ui/console_notices.rs: /console/politique)
console-notices-announce-col = Announcement
console-notices-announce-version = Announce version { $version } to subjects
console-notices-announced-note = Announcement of version { $version }: { $listed ->
    [one] { $listed } subject with an address
   *[other] { $listed } subjects with an address
}, { $sent ->
    [one] { $sent } e-mail sent
   *[other] { $sent } e-mails sent
}, { $failed ->
    [0] no failure.
    [one] { $failed } failure (announce again to retry).
   *[other] { $failed } failures (announce again to retry).
}
console-notices-error-no-version = Choose a version to announce. Nothing changed.
console-notices-error-unknown-version = Unknown version: { $version }. Nothing changed.
console-notices-error-not-substantial = Version { $version } is not substantial: no announcement is owed. Nothing changed.

# Staff and tokens: actions (src/ui/console_staff.rs: /console/equipe)
console-staff-actions-col = Actions
console-staff-disable-login = Disable account { $login }
console-staff-reset-login = Reset the TOTP of account { $login }
console-staff-revoke-token = Revoke token { $id }
console-staff-disabled-note = Account { $login } disabled: its sessions are closed.
console-staff-reset-note = TOTP of account { $login } reset: it enrols again at its next sign-in.
console-staff-revoked-note = Token { $id } revoked.
console-staff-error-self = You cannot disable your own account; ask another administrator. Nothing changed.
console-staff-error-already-disabled = Account { $login } is already disabled; nothing changed.
console-staff-error-no-totp = Account { $login } has no TOTP enrolled: nothing to reset.
console-staff-error-unknown-staff = Unknown account: { $id }. Nothing changed.
console-staff-error-unknown-token = No active token { $id }. Nothing changed.

# People: search and a subject's data (src/ui/console_people.rs: /console/personnes)
console-people = People
console-people-title = Find a person
console-people-intro = Look a person up by an identifier, for a purpose of your roles. The search and every read are written to the journal under your name, with the purpose.
console-people-purpose = Purpose
console-people-kind = Identifier type
console-people-kind-email = E-mail address
console-people-kind-phone = Phone number
console-people-kind-field = Identifier “{ $field }”
console-people-value = Value
console-people-search = Search
console-people-no-match = No person matches this identifier for this purpose.
console-people-matches = { $count ->
    [one] One person matches:
   *[other] { $count } people match:
}
console-people-error-purpose = Choose a purpose of your roles. Nothing was searched.
console-people-error-kind = This identifier type is not searched for this purpose: choose one from the list. Nothing was searched.
console-people-error-empty = Type the identifier's value. Nothing was searched.
console-people-refused = Access refused: { $reason }. This refusal is written to the journal and reported to the DPO.
console-people-no-category = your roles open no category of this purpose
console-people-back = New search
console-people-subject-title = A person's data
console-people-pick-purpose = Choose the purpose you are reading this data for:
console-people-subject = Person (pseudonymous id):{" "}
console-people-for-purpose = Purpose:{" "}
console-people-journaled = Only the categories your roles open for this purpose are shown. This read is written to the journal under your name.
console-people-limited = Not shown: { $reason }.
console-people-no-record = No data in this category.
console-people-recorded-on = Recorded on{" "}
console-people-source = source:{" "}
console-people-field = Field
console-people-value-col = Value
console-people-due = due for deletion on{" "}
console-people-waits = retention: waiting for "{ $event }"
console-event-title = Date a retention event
console-event-intro = Some categories are kept from an event: the end of the contract, the account's closure, the last contact. Date it here: the deletion dates of this person's data are recomputed in the categories your role opens for this purpose (the others do not change). A date in the past may make data due at the next purge.
console-event-event = Event
console-event-date = Date (midnight, Paris time)
console-event-submit = Date the event
console-event-done = "{ $event }" dated: { $count } record(s) updated, { $due } of them due at the next purge.
console-event-error-date = Unreadable date: pick a date (YYYY-MM-DD).
console-event-back = Back to the person
console-event-contract_end = Contract end
console-event-account_closure = Account closure
console-event-last_interaction = Last contact
