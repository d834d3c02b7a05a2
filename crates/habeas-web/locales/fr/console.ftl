# Staff sign-in and the DPO console (src/ui/staff.rs, src/ui/console*.rs).

# Console frame, requests list, breaches, journal (src/ui/console.rs: /console, /console/violations, /console/journal)
console-requests = Demandes
console-breaches = Violations
console-journal = Journal
console-retention = Conservation
console-register = Registre
console-notice = Politique
console-alerts = Alertes
console-staff = Personnel
console-signed-in-as = Connecté en tant que{" "}
console-session-valid-until = session valable jusqu'à{" "}
console-no-open-request = Aucune demande ouverte.
console-open-requests-most-urgent-first = Demandes ouvertes, les plus urgentes d'abord
console-reference = Référence
console-right = Droit
console-received = Reçue le
console-status = Statut
console-next-due = Prochaine échéance
console-legal-deadline = Date limite légale
console-urgency = Urgence
console-rights-requests = Demandes de droits
console-no-breach-in-the-register = Aucune violation au registre.
console-breach-register-art-33-5-gdpr = Registre des violations (art. 33(5) RGPD)
console-open = Ouverte
console-certainty = Certitude
console-aware-since = Connue le
console-authority-due = Échéance autorité
console-to-do = À faire
console-yes = oui
console-no = non
console-some-stored-breaches-cannot-be-read = Des violations enregistrées ne peuvent pas être lues ; vérifiez-les :
console-data-breaches = Violations de données
console-verified-on = Vérifié le{" "}
console-journal-intact-every-entry-chains-and = Journal intact : chaque entrée est chaînée et chaque point de contrôle signé est valide.
console-entries-kept = Entrées conservées
console-signed-checkpoints = Points de contrôle signés
console-entries-after-the-last-signed-checkpoint = Entrées après le dernier point signé
console-journal-tampered-the-chain-is-broken = Journal ALTÉRÉ : la chaîne est rompue.
console-first-broken-entry = Première entrée rompue
console-reason = Raison
console-audit-journal = Journal d'audit
console-journal-retention = Conservation du journal
console-journal-retention-none = Aucune durée déclarée : le journal est conservé en entier ([audit] retention dans habeas.toml).
console-journal-retention-periods = Durées déclarées
console-journal-retention-incident = en cas d'incident :
console-journal-retention-cutoff = Supprimé chaque jour jusqu'au point de contrôle signé antérieur au
console-journal-retention-held-by = Retenu par la violation

# Alerts (src/ui/console_alerts.rs: /console/alertes)
console-alerts-access-refused = accès refusé
console-alerts-category = catégorie{" "}
console-alerts-bulk-read = lecture en masse
console-alerts-no-alert-in-the-recent-part = Aucune alerte dans la partie récente du journal.
console-alerts-alerts-newest-first = Alertes, les plus récentes d'abord
console-alerts-date = Date
console-alerts-alert = Alerte
console-alerts-identity = Identité
console-alerts-detail = Détail
console-alerts-purpose = Finalité
console-alerts-alerts = Alertes

# Notice versions and announcements (src/ui/console_notices.rs: /console/politique)
console-notices-no-version-published-habeas-notice-publish = Aucune version publiée (« habeas notice publish »).
console-notices-privacy-notice-versions-newest-first = Versions de la politique de confidentialité, la plus récente d'abord
console-notices-version = Version
console-notices-status = Statut
console-notices-published = Publiée le
console-notices-in-force-from = En vigueur le
console-notices-substantial = Substantielle
console-notices-changes = Changements
console-notices-announcement-recipients = Annonce : destinataires
console-notices-sent = Envoyées
console-notices-pending = En attente
console-notices-failed = Échecs
console-notices-yes = oui
console-notices-no = non
console-notices-first-version = première version
console-notices-announcement-not-queued-yet = annonce non encore préparée
console-notices-no-announcement-minor-change = sans annonce (changement mineur)
console-notices-privacy-notice-versions-and-announcements = Politique de confidentialité : versions et annonces

# Register and declarations check (src/ui/console_register.rs: /console/registre)
console-register-controller-art-30-1 = Responsable de traitement (art. 30(1))
console-register-processor-art-30-2 = Sous-traitant (art. 30(2))
console-register-error = erreur
console-register-warning = avertissement
console-register-no-finding-the-declarations-pass-every = Aucune anomalie : les déclarations passent toutes les règles.
console-register-habeas-check-findings = Résultats de « habeas check »
console-register-rule = Règle
console-register-severity = Gravité
console-register-file-line = Fichier:ligne
console-register-message = Message
console-register-how-to-fix = Correction
console-register-register-view = Vue du registre
console-register-declarations-check = Contrôle des déclarations
console-register-register-of-processing-activities = Registre des activités de traitement —{" "}
console-register-register-and-check = Registre et contrôle

# One request: history, clocks, workflow (src/ui/console_requests.rs: /console/demandes/ID)
console-request-the-subject-was-told-by-e = {" "}La personne a été informée par courriel.
console-request-the-e-mail-to-the-subject = {" "}Le courriel à la personne n'a pas pu partir : informez-la autrement.
console-request-deadlines = Délais
console-request-received = Reçue le
console-request-statutory-deadline-gdpr-art-12-3 = Délai légal (art. 12(3) RGPD, un mois)
console-request-extended-deadline-in-force = Délai prolongé en vigueur
console-request-aim-for = Date visée
console-request-provider-s-promised-delay = Délai promis par le fournisseur
console-request-no-promised-delay-declared = aucun délai promis déclaré
console-request-next-due = Prochaine échéance
console-request-urgency = Urgence
console-request-reference = Référence
console-request-right = Droit
console-request-channel = Canal
console-request-status = Statut
console-request-subject-pseudonymous-id = Personne (identifiant pseudonyme)
console-request-identity-verified-on = Identité vérifiée le
console-request-not-yet = pas encore
console-request-history = Historique
console-request-steps-of-the-request-oldest-first = Étapes de la demande, de la plus ancienne à la plus récente
console-request-date = Date
console-request-step = Étape
console-request-this-request-is-closed-it-takes = Cette demande est close : elle ne prend plus d'étape.
console-request-your-roles-let-you-read-this = Vos rôles permettent de consulter cette demande, pas de la faire avancer.
console-request-actions = Actions
console-request-the-acknowledgment-is-mailed-to-the = L'accusé de réception est envoyé par courriel au contact enregistré, avec les délais.
console-request-already-given-another-way-post-phone = Déjà donné autrement (courrier, téléphone) : ne pas envoyer de courriel
console-request-you-are-recorded-as-the-one = Vous êtes enregistré comme la personne qui a vérifié (art. 12(6) RGPD). Préférez un code envoyé au contact enregistré (habeas requests send-code).
console-request-method = Moyen
console-request-the-subject-was-signed-in-to = La personne était connectée à son compte
console-request-document-shown-no-copy-kept = Pièce présentée (aucune copie gardée)
console-request-why-this-method-is-proportionate-required = Pourquoi ce moyen est proportionné (requis pour une pièce)
console-request-checked-on-utc-empty-now = Vérifiée le (UTC, vide : maintenant)
console-request-one-extension-only-of-at-most = Une seule prolongation, de deux mois au plus, décidée dans le premier mois ; la personne en est informée par courriel avec la justification (art. 12(3) RGPD).
console-request-further-months = Mois supplémentaires
console-request-justification-complexity-number-of-requests = Justification (complexité, nombre de demandes)
console-request-tick-the-activities-concerned-the-vault = Cochez les activités concernées : le coffre refusera ensuite toute lecture et écriture pour elles (art. 18 / 21 RGPD).
console-request-the-subject-is-told-by-e = La personne est informée par courriel.
console-request-reason = Motif
console-request-another-legal-ground-name-it = Autre fondement juridique (à préciser)
console-request-legal-ground-if-other = Fondement juridique, si « autre »
console-request-explanation-the-subject-reads-the-remedies = Explication lue par la personne (les voies de recours sont ajoutées)
console-request-all-open-requests = ← Toutes les demandes ouvertes
console-request-step-refused-nothing-changed = Étape refusée, rien n'a changé
console-request-unreadable-verification-date-use-yyyy-mm = Date de vérification illisible : utilisez AAAA-MM-JJTHH:MM (UTC) ou laissez vide.
console-request-unreadable-request-version-reload-the-page = Version de la demande illisible : rechargez la page.

# Retention: plan, purges, legal holds (src/ui/console_retention.rs: /console/conservation)
console-retention-due-next-by-category = À venir, par catégorie
console-retention-dry-run-as-of = Simulation au{" "}
console-retention-nothing-falls-due-within-the-horizon = Rien n'arrive à échéance dans l'horizon.
console-retention-retention-due-art-5-1-e = Échéances de conservation (art. 5(1)(e) RGPD)
console-retention-category = Catégorie
console-retention-next-due = Prochaine échéance
console-retention-to-delete-now = À supprimer maintenant
console-retention-to-anonymise-now = À anonymiser maintenant
console-retention-scheduled-within-the-horizon = Prévus dans l'horizon
console-retention-kept-hold = Conservés (gel)
console-retention-undeclared-category = Catégorie non déclarée
console-retention-last-purges = Dernières purges
console-retention-no-purge-in-the-recent-part = Aucune purge dans la partie récente du journal.
console-retention-journaled-purges-newest-first = Purges journalisées, les plus récentes d'abord
console-retention-date = Date
console-retention-by = Par
console-retention-records-removed = Enregistrements retirés
console-retention-journal-entry = Entrée du journal
console-retention-legal-holds-in-force = Gels juridiques en vigueur
console-retention-no-hold-in-force = Aucun gel en vigueur.
console-retention-holds-that-suspend-the-purge = Gels qui suspendent la purge
console-retention-hold = Gel
console-retention-scope = Portée
console-retention-reason = Motif
console-retention-placed = Posé le
console-retention-until = Jusqu'au
console-retention-subject = personne{" "}
console-retention-category-2 = catégorie{" "}
console-retention-release = levée
console-retention-retention = Conservation

# Staff and tokens (src/ui/console_staff.rs: /console/equipe)
console-staff-yes = oui
console-staff-no = non
console-staff-staff-accounts = Comptes du personnel
console-staff-accounts-by-login-habeas-staff-list = Comptes par identifiant (« habeas staff list »)
console-staff-login = Identifiant
console-staff-display-name = Nom affiché
console-staff-roles = Rôles
console-staff-totp-enrolled = TOTP enrôlé
console-staff-totp-required = TOTP exigé
console-staff-recovery-codes-left = Codes de secours restants
console-staff-disabled = Désactivé
console-staff-last-sign-in = Dernière connexion
console-staff-application-tokens = Jetons d'application
console-staff-no-token-habeas-token-create = Aucun jeton (« habeas token create »).
console-staff-tokens-newest-first-the-secret-is = Jetons, les plus récents d'abord ; le secret n'est jamais affiché
console-staff-token = Jeton
console-staff-name = Nom
console-staff-purposes = Finalités
console-staff-categories = Catégories
console-staff-created = Créé le
console-staff-revoked = Révoqué le
console-staff-all-of-its-purposes = toutes celles de ses finalités
console-staff-staff-and-tokens = Personnel et jetons

# Staff sign-in, password, TOTP (src/ui/staff.rs: /console/connexion, /console/mot-de-passe, /console/totp)
staff-login = Identifiant
staff-password = Mot de passe
staff-authenticator-app-code-or-recovery-code = Code de l'application d'authentification ou code de secours
staff-only-if-your-account-has-a = Seulement si votre compte a un second facteur.
staff-sign-in = Se connecter
staff-your-initial-password-works-once-choose = Votre mot de passe initial ne sert qu'une fois : choisissez le vôtre (12 caractères au moins, sans votre identifiant).
staff-current-password = Mot de passe actuel
staff-new-password = Nouveau mot de passe
staff-confirm-the-new-password = Confirmez le nouveau mot de passe
staff-change-password = Changer le mot de passe
staff-change-password-2 = Changer de mot de passe
staff-the-two-new-passwords-differ-type = Les deux nouveaux mots de passe diffèrent : retapez-les.
staff-scan-this-code-with-your-authenticator = Scannez ce code avec votre application d'authentification (ou saisissez la clé ci-dessous), puis entrez le code à 6 chiffres qu'elle affiche.
staff-key-to-type = Clé à saisir :{" "}
staff-6-digit-code = Code à 6 chiffres
staff-enable = Activer
staff-second-factor-totp = Second facteur (TOTP)
staff-second-factor-enabled = Second facteur activé.
staff-here-are-your-ten-recovery-codes = Voici vos dix codes de secours. Chacun sert une fois, si vous perdez votre téléphone. Notez-les maintenant : ils ne seront plus affichés.
staff-continue = Continuer
staff-recovery-codes = Codes de secours
staff-start-enrolment-again = Recommencer l'enrôlement
# Workflow form errors (src/ui/console_requests.rs)
console-request-the-request-is-linked-to-no = La demande n'est liée à aucune personne : aucun contact enregistré où écrire. Cochez « déjà donné autrement » si l'accusé a été donné.
console-request-unknown-verification-method-choose-signed-in = Moyen de vérification inconnu : choisissez « connectée » ou « pièce ».
console-request-give-1-or-2-further-months = Indiquez 1 ou 2 mois supplémentaires.
console-request-unknown-refusal-reason-or-other-without = Motif de refus inconnu, ou « autre » sans fondement juridique : choisissez un motif de la liste ou nommez le fondement.
console-request-this-action-belongs-to-the-breach = Cette action concerne le registre des violations, pas une demande.

# Messages with variables, by page
# Alerts (/console/alertes): a bulk read's detail, the rule, the journal window.
console-alerts-bulk-detail = { $count } personnes lues du { $from } au { $to }
console-alerts-bulk-rule = Lecture en masse : une même identité qui lit au moins { $subjects } personnes distinctes en { $minutes } minutes.
console-alerts-window = Journal examiné à partir de l'entrée n° { $from } ({ $window } entrées au plus) ; les plus anciennes restent lisibles par « habeas audit ».
# Notice versions (/console/politique): lines added and removed.
console-notices-lines-changed = +{ $added } / −{ $removed } lignes
# Register (/console/registre)
console-register-files-checked = { $count } fichiers de déclarations vérifiés.
console-register-unknown-view = Vue de registre inconnue « { $view } » : choisissez « controller » ou « processor » (liens ci-dessus).
# One request (/console/demandes/ID)
console-request-step-recorded = Étape enregistrée : { $step }.
console-request-title = Demande { $id }
# Retention (/console/conservation)
console-retention-horizon = , horizon { $days } jours (comme « habeas purge --dry-run »).
console-retention-window = Recherche dans le journal à partir de l'entrée n° { $from } ; les plus anciennes restent lisibles par « habeas audit ».
# Sign-in page title (/console/connexion)
staff-sign-in-title = Connexion du personnel

# Console actions: buttons and notes (src/ui/console.rs action_label; the table is habeas-auth console.rs)
console-action-acknowledge = Accuser réception
console-action-proof = Enregistrer la preuve d'identité
console-action-start = Commencer le traitement
console-action-extend = Prolonger le délai
console-action-refuse = Refuser
console-action-done = Marquer comme répondue
console-action-breach-update = Mettre à jour
console-action-breach-close = Clore la violation
console-action-hold-place = Poser le gel
console-action-hold-release = Lever le gel
console-action-notice-announce = Annoncer aux personnes
console-action-staff-disable = Désactiver le compte
console-action-staff-reset-totp = Réinitialiser le TOTP
console-action-token-revoke = Révoquer le jeton
console-request-not-a-request-action = Cette action ne concerne pas une demande.

# Console actions, shared (src/ui/console_act.rs)
console-refused-detail = Refusé : { $detail }

# Retention: placing and releasing legal holds (src/ui/console_retention.rs: /console/conservation)
console-retention-release-col = Levée
console-retention-field-release-reason = Motif de la levée
console-retention-place-title = Poser un gel juridique
console-retention-place-help = Un gel suspend la purge d'une personne ou d'une catégorie tant qu'une action en justice l'exige (art. 17(3)(e) RGPD). Donnez l'une ou l'autre, jamais une adresse ; gardez les noms hors du motif.
console-retention-field-subject = Personne (identifiant sub_…)
console-retention-field-category = ou catégorie déclarée
console-retention-no-category = — aucune —
console-retention-field-reason = Motif (action, procédure, référence)
console-retention-field-until = Jusqu'au (facultatif, inclus)
console-retention-placed-note = Gel { $id } posé.
console-retention-released-note = Gel { $id } levé.
console-retention-error-scope = Donnez soit un identifiant de personne (sub_…), soit une catégorie déclarée : l'un des deux. Rien n'a changé.
console-retention-error-subject = Personne concernée inconnue : donnez l'identifiant sub_… du coffre, jamais une adresse. Rien n'a changé.
console-retention-error-category = Catégorie « { $category } » non déclarée (voir declarations/). Rien n'a changé.
console-retention-error-reason = Le motif est obligatoire : dites quelle action ou procédure exige de conserver les données (art. 17(3)(e)). Rien n'a changé.
console-retention-error-reason-long = Motif trop long ({ $max } caractères au plus) : donnez un motif court et une référence. Rien n'a changé.
console-retention-error-until = Date de fin illisible : AAAA-MM-JJ attendue. Rien n'a changé.
console-retention-error-until-past = La date de fin est passée : donnez une date à venir, ou aucune pour geler jusqu'à levée. Rien n'a changé.
console-retention-error-release-reason = Le motif de la levée est obligatoire : dites pourquoi les données ne doivent plus être conservées. Le gel reste en vigueur.
console-retention-error-unknown-hold = Gel inconnu : { $id }. Rien n'a changé.
console-retention-error-already-released = Ce gel est déjà levé ; rien n'a changé.

# Notice versions: announcing a version (src/ui/console_notices.rs: /console/politique)
console-notices-announce-col = Annonce
console-notices-announce-version = Annoncer la version { $version } aux personnes
console-notices-announced-note = Annonce de la version { $version } : { $listed ->
    [one] { $listed } personne avec une adresse
   *[other] { $listed } personnes avec une adresse
}, { $sent ->
    [one] { $sent } courriel envoyé
   *[other] { $sent } courriels envoyés
}, { $failed ->
    [0] aucun échec.
    [one] { $failed } échec (renvoyez l'annonce pour réessayer).
   *[other] { $failed } échecs (renvoyez l'annonce pour réessayer).
}
console-notices-error-no-version = Choisissez une version à annoncer. Rien n'a changé.
console-notices-error-unknown-version = Version inconnue : { $version }. Rien n'a changé.
console-notices-error-not-substantial = La version { $version } n'est pas substantielle : aucune annonce n'est due. Rien n'a changé.

# Staff and tokens: actions (src/ui/console_staff.rs: /console/equipe)
console-staff-actions-col = Actions
console-staff-disable-login = Désactiver le compte { $login }
console-staff-reset-login = Réinitialiser le TOTP du compte { $login }
console-staff-revoke-token = Révoquer le jeton { $id }
console-staff-disabled-note = Compte { $login } désactivé : ses sessions sont closes.
console-staff-reset-note = TOTP du compte { $login } réinitialisé : il s'enrôlera de nouveau à sa prochaine connexion.
console-staff-revoked-note = Jeton { $id } révoqué.
console-staff-error-self = Vous ne pouvez pas désactiver votre propre compte ; demandez-le à un autre administrateur. Rien n'a changé.
console-staff-error-already-disabled = Le compte { $login } est déjà désactivé ; rien n'a changé.
console-staff-error-no-totp = Le compte { $login } n'a pas de TOTP enrôlé : rien à réinitialiser.
console-staff-error-unknown-staff = Compte inconnu : { $id }. Rien n'a changé.
console-staff-error-unknown-token = Aucun jeton actif { $id }. Rien n'a changé.

# People: search and a subject's data (src/ui/console_people.rs: /console/personnes)
console-people = Personnes
console-people-title = Rechercher une personne
console-people-intro = Cherchez une personne par un identifiant, pour une finalité de vos rôles. La recherche et chaque lecture sont inscrites au journal à votre nom, avec la finalité.
console-people-purpose = Finalité
console-people-kind = Type d'identifiant
console-people-kind-email = Adresse e-mail
console-people-kind-phone = Numéro de téléphone
console-people-kind-field = Identifiant « { $field } »
console-people-value = Valeur
console-people-search = Rechercher
console-people-no-match = Aucune personne ne correspond à cet identifiant pour cette finalité.
console-people-matches = { $count ->
    [one] Une personne correspond :
   *[other] { $count } personnes correspondent :
}
console-people-error-purpose = Choisissez une finalité de vos rôles. Rien n'a été recherché.
console-people-error-kind = Ce type d'identifiant n'est pas recherché pour cette finalité : choisissez-en un de la liste. Rien n'a été recherché.
console-people-error-empty = Saisissez la valeur de l'identifiant. Rien n'a été recherché.
console-people-refused = Accès refusé : { $reason }. Ce refus est inscrit au journal et signalé au DPO.
console-people-no-category = vos rôles n'ouvrent aucune catégorie de cette finalité
console-people-back = Nouvelle recherche
console-people-subject-title = Données d'une personne
console-people-pick-purpose = Choisissez la finalité pour laquelle vous consultez ces données :
console-people-subject = Personne (identifiant pseudonyme) :{" "}
console-people-for-purpose = Finalité :{" "}
console-people-journaled = Seules les catégories que vos rôles ouvrent pour cette finalité sont affichées. Cette lecture est inscrite au journal à votre nom.
console-people-limited = Non affiché : { $reason }.
console-people-no-record = Aucune donnée dans cette catégorie.
console-people-recorded-on = Enregistré le{" "}
console-people-source = source :{" "}
console-people-field = Champ
console-people-value-col = Valeur
console-people-due = à supprimer le{" "}
console-people-waits = conservation : en attente de « { $event } »
console-event-title = Dater un événement de conservation
console-event-intro = La conservation de certaines catégories court à partir d'un événement : fin du contrat, clôture du compte, dernier contact. Datez-le ici : les dates de suppression des données de cette personne sont recalculées dans les catégories que votre rôle ouvre pour cette finalité (les autres ne changent pas). Une date passée peut rendre des données supprimables dès la prochaine purge.
console-event-event = Événement
console-event-date = Date (minuit, heure de Paris)
console-event-submit = Dater l'événement
console-event-done = « { $event } » daté : { $count } enregistrement(s) mis à jour, dont { $due } à supprimer à la prochaine purge.
console-event-error-date = Date illisible : choisissez une date (AAAA-MM-JJ).
console-event-back = Revenir à la personne
console-event-contract_end = Fin du contrat
console-event-account_closure = Clôture du compte
console-event-last_interaction = Dernier contact
