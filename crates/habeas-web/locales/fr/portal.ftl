# The "Mes données" portal (src/ui/portal*.rs). Every id starts with `portal-`;
# the comment above each group names the page it is for.

# Sign-in page (/portail, signed out).
portal-enter-e-mail-address = Indiquez l'adresse électronique que nous connaissons pour vous. Nous y enverrons un code à usage unique pour vous connecter, sans mot de passe.
portal-e-mail-address = Adresse électronique
portal-send-me-code = Recevoir un code
portal-privacy-notice-its-versions = Politique de confidentialité et ses versions
portal-sign-in-my-data = Connexion à Mes données

# Code page (/portail/code and the link from the sign-in mail).
portal-code-received-by-e = Code reçu par courriel (8 chiffres)
portal-sign-in = Se connecter
portal-ask-for-another-code = Demander un autre code
portal-enter-code = Saisir le code

# Code page, after an address was entered.
portal-if-this-address-registered = Si cette adresse est enregistrée chez nous, un code vient d'y être envoyé. Il sert une fois et expire dans quelques minutes.

# Code page, a code that does not work.
portal-wrong-expired-or-already = Code erroné, expiré ou déjà utilisé. Vérifiez-le, ou demandez-en un autre.

# "Mes données" home page (/portail), the state of each consent.
portal-never-asked = jamais demandé
portal-unknown-state = état inconnu

# "Mes données" home page (/portail, signed in).
portal-this-page = Sur cette page
portal-data = Vos données
portal-download = Télécharger
portal-why-we-process-them = Pourquoi nous les traitons
portal-consents = Vos consentements
portal-rights = Vos droits
portal-accesses = Consultations
portal-act-data = Agir sur vos données
portal-correct-field = Corriger une donnée
portal-restrict-or-object-processing = Limiter ou vous opposer à un traitement
portal-follow-requests = Suivre vos demandes
portal-close-account = Fermer votre compte
portal-mail-lists = Vos listes de messagerie
portal-we-hold-no-data = Nous ne détenons aucune donnée vous concernant.
portal-kept = Conservation :
portal-recorded-on = Enregistré le { $date }
portal-source = source :
portal-purposes = finalités :
portal-field = Champ
portal-value = Valeur
portal-download-copy = Télécharger une copie
portal-everything-as-json = Tout, au format JSON
portal-everything-as-csv-tables = Tout, en tableaux CSV (archive zip)
portal-why-we-process-data = Pourquoi nous traitons vos données
portal-legal-basis = Base légale :
portal-recipients = Destinataires :
portal-who-receives-data = Qui reçoit vos données
portal-transfers-outside-european-union = Transferts hors de l'Union européenne
portal-no-processing-relies-consent = Aucun traitement ne repose sur votre consentement.
portal-state = État :
portal-withdraw-my-consent = Retirer mon consentement
portal-give-my-consent = Donner mon consentement
portal-when-why-data-was = Quand et pourquoi vos données ont été consultées
portal-our-audit-journal-records = Aucune consultation de vos données n'est enregistrée dans notre journal d'audit.
portal-my-data = Mes données

# Account page (/portail/compte): close the account, reactivate it.
portal-account-closure-pending = Fermeture en cours
portal-account-asked-on = Vous avez demandé la fermeture de votre compte le { $date }.
portal-account-final-since = Elle est définitive depuis le { $date }.
portal-account-final-on = Elle deviendra définitive le { $date }.
portal-account-reactivate-my-account = Réactiver mon compte
portal-account-grace-declared = Délai de grâce déclaré : { $grace }.
portal-account-if-you-close-account = Si vous fermez votre compte maintenant, la fermeture deviendra définitive le{" "}
portal-account-until-then-you-may = {" "}; d'ici là, vous pourrez le réactiver ici.
portal-account-no-grace-period-declared = Aucun délai de grâce n'est déclaré : l'effacement suivra dans le délai légal d'un mois, sans réactivation possible.
portal-account-what-erased-what-kept = Ce qui sera effacé, ce qui sera conservé
portal-account-i-confirm-i-want = Je confirme vouloir fermer mon compte
portal-account-close-my-account = Fermer mon compte
portal-back-to-my-data = Retour à Mes données
portal-account-account = Votre compte

# Account page, closing refused.
portal-account-tick-confirmation-box-close = Cochez la case de confirmation pour fermer votre compte.
portal-account-closure-account-already-requested = La fermeture de votre compte est déjà demandée.

# Account page, reactivation refused.
portal-account-this-closure-no-longer = Cette fermeture n'est plus en cours : elle a été retirée ou exécutée.
portal-account-grace-period-over-closure = Le délai de grâce est écoulé : la fermeture est définitive et le compte ne peut plus être réactivé.

# Correction page (/portail/corriger).
portal-correct-you-may-have-any = Vous pouvez faire corriger ou compléter toute donnée inexacte (RGPD art. 16). Une adresse électronique qui sert à vous identifier ne change qu'après confirmation d'un code envoyé à la nouvelle adresse.
portal-correct-correct = Corriger

# Correction page, a correction refused.
portal-correct-this-record-not-or = Cette donnée n'existe pas (ou plus) parmi les vôtres ; rechargez la page.
portal-correct-new-value-not-valid = La nouvelle valeur n'est pas une adresse électronique valide (exemple : nom@exemple.fr).

# Correction page, the code sent to a new e-mail address.
portal-correct-code-has-just-been = Un code vient d'être envoyé à la nouvelle adresse. Saisissez-le pour confirmer qu'elle est bien la vôtre ; l'adresse actuelle reste en place d'ici là.
portal-correct-code-received-at-new = Code reçu à la nouvelle adresse
portal-correct-confirm-new-address = Confirmer la nouvelle adresse
portal-correct-cancel = Annuler

# Restrict-or-object page (/portail/limiter).
portal-limits-restricting-processing-gdpr-art = Limiter un traitement (RGPD art. 18) le suspend : vos données sont conservées mais plus utilisées pour cette finalité. Vous opposer (art. 21) l'arrête ; pour la prospection, l'opposition est absolue (art. 21(3)). Chaque choix est enregistré comme une demande que vous suivez dans « Vos demandes ».
portal-limits-no-processing-concerns-data = Aucun traitement ne porte sur vos données.
portal-limits-restricted-at-request = limité à votre demande
portal-limits-stopped-objection = arrêté sur votre opposition
portal-limits-objection-overridden-by-compelling = opposition écartée pour motifs légitimes impérieux (art. 21(1))
portal-limits-active = en cours
portal-limits-restrict-this-processing = Limiter ce traitement
portal-limits-object-direct-marketing = M'opposer à la prospection
portal-limits-object-this-processing = M'opposer à ce traitement
portal-limits-restrict-or-object = Limiter ou vous opposer

# Restrict-or-object page, a request refused.
portal-limits-unknown-action-choose-restrict = Action inconnue : choisissez « Limiter » ou « M'opposer ».
portal-limits-this-processing-does-not = Ce traitement ne porte pas sur vos données : choisissez-en un dans la liste.
portal-limits-this-processing-rests-neither = Ce traitement ne repose ni sur l'intérêt légitime ni sur une mission d'intérêt public et n'est pas de la prospection : l'opposition (art. 21) ne s'y applique pas. Vous pouvez en demander la limitation (art. 18), ou retirer votre consentement s'il en repose sur lui.

# Mail lists page (/portail/listes), the name of each list.
portal-mail-personal-correspondents-mail-marked = Correspondants personnels (courrier marqué comme personnel)
portal-mail-allowed-senders-never-filtered = Expéditeurs autorisés (jamais filtrés)
portal-mail-denied-senders = Expéditeurs refusés

# Mail lists page, a mailbox shared by several accounts.
portal-mail-several-accounts-share-this = Plusieurs comptes partagent cette boîte aux lettres : contactez-nous pour gérer vos listes.

# Mail lists page (/portail/listes).
portal-mail-you-have-no-mail = Vous n'avez pas de listes de messagerie chez nous. Elles se créent depuis votre messagerie.
portal-mail-mailbox = Boîte aux lettres :
portal-mail-entry-address-name-example = Une entrée est une adresse (nom@exemple.fr) ou un domaine entier (@exemple.fr). Une même entrée ne peut figurer que dans une liste.
portal-mail-empty-list = Liste vide.
portal-mail-remove-entry = Retirer { $entry }
portal-mail-remove-2 = Retirer
portal-mail-add-entry = Ajouter une entrée
portal-mail-list = Liste
portal-mail-address-or-domain = Adresse ou @domaine
portal-mail-add = Ajouter
portal-mail-how-personal-mail-marked = Marquage du courrier personnel
portal-mail-imap-keyword-leaves-message = Mot-clé IMAP (ne modifie pas le message)
portal-mail-file-into-folder-empty = Ranger dans le dossier (vide : non)
portal-mail-prefix-subject-with-empty = Préfixer le sujet par (vide : non ; casse la signature DKIM)
portal-mail-save-marking = Enregistrer le marquage

# Mail lists page, a change refused.
portal-mail-you-have-no-mail-2 = Vous n'avez pas de listes de messagerie chez nous.

# Mail lists page, an unknown list.
portal-mail-unknown-list-choose-personal = Liste inconnue : choisissez correspondants personnels, autorisés ou refusés.

# Privacy notice page (/portail/politique), each version.
portal-notice-version = Version { $version }
portal-notice-published = Publiée le
portal-notice-in-force-from = En vigueur à partir du
portal-notice-kind-change = Nature du changement
portal-notice-substantial-announced-in-advance = substantiel (annoncé à l'avance)
portal-notice-minor = mineur
portal-notice-sha-256-text = Empreinte SHA-256 du texte
portal-notice-changes-since = Changements depuis la version { $version }
portal-notice-added = ajouté :
portal-notice-removed = retiré :
portal-notice-text-this-version = Texte de cette version

# Privacy notice page (/portail/politique).
portal-notice-no-version-privacy-notice = Aucune version de la politique de confidentialité n'est encore publiée ici.
portal-notice-version-in-force = Version en vigueur :
portal-notice-every-version-stays-readable = Chaque version reste consultable avec ses dates et les changements par rapport à la précédente. Un changement substantiel vous est annoncé à l'avance.
portal-notice-privacy-notice = Politique de confidentialité

# Any action page, a refused code (correction).
portal-requests-wrong-expired-or-already = Code erroné, expiré ou déjà utilisé. Vérifiez-le, ou recommencez la correction pour en recevoir un autre.

# Refused-action page (any portal action, status 422).
portal-requests-nothing-was-changed = Rien n'a été modifié.
portal-requests-go-back = Revenir en arrière
portal-requests-action-refused = Action refusée

# Refused-action page, a request of someone else.
portal-requests-this-request-not-one = Cette demande n'est pas l'une des vôtres ; recommencez depuis la page « Corriger une donnée ».

# Requests page (/portail/demandes).
portal-requests-we-answer-every-request = Nous répondons à chaque demande dans le délai légal d'un mois à compter de sa réception, prolongeable de deux mois pour les demandes complexes, auquel cas nous vous en informons avec les motifs (RGPD art. 12(3)). Le délai que nous nous sommes engagés à tenir est indiqué lorsqu'il existe.
portal-requests-you-have-made-no = Vous n'avez fait aucune demande.
portal-requests-requests-newest-first = Vos demandes, les plus récentes d'abord
portal-requests-reference = Référence
portal-requests-request = Demande
portal-requests-status = État
portal-requests-received = Reçue le
portal-requests-legal-deadline = Délai légal
portal-requests-promised-delay = Délai promis
portal-requests-extended = (prolongé)
portal-requests-no-commitment-declared = aucun engagement déclaré
portal-requests-requests = Vos demandes
portal-requests-withdrawn-on = retirée le { $date }

# Refused-action page, a correction or a step of a request refused (with the reason).
portal-refused-correction = Correction refusée : { $reason }
portal-refused-action = Action refusée : { $reason }

# Confirmations shown after an action (?fait=…), on the requests, correction, account and lists pages.
portal-done-correction = Votre donnée est corrigée. La demande de rectification est enregistrée et close.
portal-done-limitation = La limitation est en vigueur : ce traitement est suspendu pour vos données. Votre demande apparaît ci-dessous.
portal-done-opposition = Votre opposition est en vigueur : ce traitement est arrêté pour vos données. Votre demande apparaît ci-dessous.
portal-done-fermeture = La fermeture de votre compte est enregistrée. Vous pouvez la révoquer jusqu'à la date indiquée.
portal-done-reactivation = Votre compte est réactivé : la demande de fermeture est retirée.
portal-done-liste = Vos listes sont modifiées.

# "Mes données" home page, the state of each consent.
portal-consent-given-on = donné le { $date }
portal-consent-refused-on = refusé le { $date }
portal-consent-withdrawn-on = retiré le { $date }

# "Corriger une donnée": a value that cannot be stored.
portal-correct-value-too-long = La nouvelle valeur doit compter au plus { $max } caractères, sans caractère de contrôle.

# Restrict-or-object page (/portail/limiter): the subject lifts a restriction.
portal-limits-lift-this-restriction = Lever cette limitation
portal-limits-lift-not-restricted = Ce traitement n'est pas limité pour vos données : il n'y a pas de limitation à lever. Une opposition ne se lève pas ici.
portal-limits-lifted-title = Limitation levée
portal-limits-lifted = La limitation de « { $purpose } » est levée depuis le { $date } : ce traitement reprend pour vos données.
portal-limits-back-to-limits = Retour à Limiter ou vous opposer
