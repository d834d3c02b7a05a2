# The "Mes données" portal (src/ui/portal*.rs). Every id starts with `portal-`;
# the comment above each group names the page it is for.

# Sign-in page (/portail, signed out).
portal-sign-in-intro = Indiquez l'adresse électronique que nous connaissons pour vous. Nous y enverrons un code à usage unique pour vous connecter, sans mot de passe.
portal-sign-in-email = Adresse électronique
portal-sign-in-send-code = Recevoir un code
portal-sign-in-notice-link = Politique de confidentialité et ses versions
portal-sign-in-title = Connexion à Mes données

# Code page (/portail/code and the link from the sign-in mail).
portal-code-label = Code reçu par courriel (8 chiffres)
portal-code-submit = Se connecter
portal-code-another = Demander un autre code
portal-code-title = Saisir le code

# Code page, after an address was entered.
portal-code-sent-if-registered = Si cette adresse est enregistrée chez nous, un code vient d'y être envoyé. Il sert une fois et expire dans quelques minutes.

# Code page, a code that does not work.
portal-code-wrong = Code erroné, expiré ou déjà utilisé. Vérifiez-le, ou demandez-en un autre.

# "Mes données" home page (/portail), the state of each consent.
portal-consent-never-asked = jamais demandé
portal-consent-unknown-state = état inconnu

# "Mes données" home page (/portail, signed in).
portal-nav-on-this-page = Sur cette page
portal-nav-data = Vos données
portal-nav-download = Télécharger
portal-nav-purposes = Pourquoi nous les traitons
portal-nav-consents = Vos consentements
portal-nav-rights = Vos droits
portal-nav-accesses = Consultations
portal-act-title = Agir sur vos données
portal-act-correct = Corriger une donnée
portal-act-limits = Limiter ou vous opposer à un traitement
portal-act-requests = Suivre vos demandes
portal-act-close-account = Fermer votre compte
portal-act-mail-lists = Vos listes de messagerie
portal-no-data = Nous ne détenons aucune donnée vous concernant.
portal-kept = Conservation :
portal-recorded-on = Enregistré le { $date }
portal-source = source :
portal-purposes = finalités :
portal-data-field = Champ
portal-data-value = Valeur
portal-download-title = Télécharger une copie
portal-download-json = Tout, au format JSON
portal-download-csv = Tout, en tableaux CSV (archive zip)
portal-purposes-title = Pourquoi nous traitons vos données
portal-legal-basis = Base légale :
portal-recipients = Destinataires :
portal-recipients-title = Qui reçoit vos données
portal-transfers-title = Transferts hors de l'Union européenne
portal-consents-none = Aucun traitement ne repose sur votre consentement.
portal-state = État :
portal-consent-withdraw = Retirer mon consentement
portal-consent-give = Donner mon consentement
portal-accesses-title = Quand et pourquoi vos données ont été consultées
portal-accesses-none = Aucune consultation de vos données n'est enregistrée dans notre journal d'audit.
portal-home-title = Mes données

# Account page (/portail/compte): close the account, reactivate it.
portal-account-closure-pending = Fermeture en cours
portal-account-asked-on = Vous avez demandé la fermeture de votre compte le { $date }.
portal-account-final-since = Elle est définitive depuis le { $date }.
portal-account-final-on = Elle deviendra définitive le { $date }.
portal-account-reactivate = Réactiver mon compte
portal-account-grace-declared = Délai de grâce déclaré : { $grace }.
portal-account-close-now-final-on = Si vous fermez votre compte maintenant, la fermeture deviendra définitive le{" "}
portal-account-close-now-until-then = {" "}; d'ici là, vous pourrez le réactiver ici.
portal-account-no-grace = Aucun délai de grâce n'est déclaré : l'effacement suivra dans le délai légal d'un mois, sans réactivation possible.
portal-account-plan-title = Ce qui sera effacé, ce qui sera conservé
portal-account-confirm-label = Je confirme vouloir fermer mon compte
portal-account-close = Fermer mon compte
portal-back-to-my-data = Retour à Mes données
portal-account-title = Votre compte

# Account page, closing refused.
portal-account-confirm-missing = Cochez la case de confirmation pour fermer votre compte.
portal-account-already-requested = La fermeture de votre compte est déjà demandée.

# Account page, reactivation refused.
portal-account-not-pending = Cette fermeture n'est plus en cours : elle a été retirée ou exécutée.
portal-account-grace-over = Le délai de grâce est écoulé : la fermeture est définitive et le compte ne peut plus être réactivé.

# Correction page (/portail/corriger).
portal-correct-intro = Vous pouvez faire corriger ou compléter toute donnée inexacte (RGPD art. 16). Une adresse électronique qui sert à vous identifier ne change qu'après confirmation d'un code envoyé à la nouvelle adresse.
portal-correct-submit = Corriger

# Correction page, a correction refused.
portal-correct-unknown-record = Cette donnée n'existe pas (ou plus) parmi les vôtres ; rechargez la page.
portal-correct-bad-email = La nouvelle valeur n'est pas une adresse électronique valide (exemple : nom@exemple.fr).

# Correction page, the code sent to a new e-mail address.
portal-correct-code-sent = Un code vient d'être envoyé à la nouvelle adresse. Saisissez-le pour confirmer qu'elle est bien la vôtre ; l'adresse actuelle reste en place d'ici là.
portal-correct-code-label = Code reçu à la nouvelle adresse
portal-correct-code-submit = Confirmer la nouvelle adresse
portal-correct-cancel = Annuler

# Restrict-or-object page (/portail/limiter).
portal-limits-intro = Limiter un traitement (RGPD art. 18) le suspend : vos données sont conservées mais plus utilisées pour cette finalité. Vous opposer (art. 21) l'arrête ; pour la prospection, l'opposition est absolue (art. 21(3)). Chaque choix est enregistré comme une demande que vous suivez dans « Vos demandes ».
portal-limits-none = Aucun traitement ne porte sur vos données.
portal-limits-state-restricted = limité à votre demande
portal-limits-state-objected = arrêté sur votre opposition
portal-limits-state-overridden = opposition écartée pour motifs légitimes impérieux (art. 21(1))
portal-limits-state-active = en cours
portal-limits-restrict = Limiter ce traitement
portal-limits-object-marketing = M'opposer à la prospection
portal-limits-object = M'opposer à ce traitement
portal-limits-title = Limiter ou vous opposer

# Restrict-or-object page, a request refused.
portal-limits-unknown-action = Action inconnue : choisissez « Limiter » ou « M'opposer ».
portal-limits-not-yours = Ce traitement ne porte pas sur vos données : choisissez-en un dans la liste.
portal-limits-objection-not-applicable = Ce traitement ne repose ni sur l'intérêt légitime ni sur une mission d'intérêt public et n'est pas de la prospection : l'opposition (art. 21) ne s'y applique pas. Vous pouvez en demander la limitation (art. 18), ou retirer votre consentement s'il en repose sur lui.

# Mail lists page (/portail/listes), the name of each list.
portal-mail-list-perso = Correspondants personnels (courrier marqué comme personnel)
portal-mail-list-allow = Expéditeurs autorisés (jamais filtrés)
portal-mail-list-deny = Expéditeurs refusés

# Mail lists page, a mailbox shared by several accounts.
portal-mail-shared-mailbox = Plusieurs comptes partagent cette boîte aux lettres : contactez-nous pour gérer vos listes.

# Mail lists page (/portail/listes).
portal-mail-none-intro = Vous n'avez pas de listes de messagerie chez nous. Elles se créent depuis votre messagerie.
portal-mail-mailbox = Boîte aux lettres :
portal-mail-entry-help = Une entrée est une adresse (nom@exemple.fr) ou un domaine entier (@exemple.fr). Une même entrée ne peut figurer que dans une liste.
portal-mail-empty-list = Liste vide.
portal-mail-remove-entry = Retirer { $entry }
portal-mail-remove = Retirer
portal-mail-add-entry = Ajouter une entrée
portal-mail-list-label = Liste
portal-mail-entry-label = Adresse ou @domaine
portal-mail-add = Ajouter
portal-mail-marking-title = Marquage du courrier personnel
portal-mail-marking-keyword = Mot-clé IMAP (ne modifie pas le message)
portal-mail-marking-folder = Ranger dans le dossier (vide : non)
portal-mail-marking-prefix = Préfixer le sujet par (vide : non ; casse la signature DKIM)
portal-mail-marking-save = Enregistrer le marquage

# Mail lists page, a change refused.
portal-mail-none = Vous n'avez pas de listes de messagerie chez nous.

# Mail lists page, an unknown list.
portal-mail-unknown-list = Liste inconnue : choisissez correspondants personnels, autorisés ou refusés.

# Privacy notice page (/portail/politique), each version.
portal-notice-version = Version { $version }
portal-notice-published = Publiée le
portal-notice-in-force-from = En vigueur à partir du
portal-notice-kind = Nature du changement
portal-notice-substantial = substantiel (annoncé à l'avance)
portal-notice-minor = mineur
portal-notice-sha256 = Empreinte SHA-256 du texte
portal-notice-changes-since = Changements depuis la version { $version }
portal-notice-added = ajouté :
portal-notice-removed = retiré :
portal-notice-text = Texte de cette version

# Privacy notice page (/portail/politique).
portal-notice-none = Aucune version de la politique de confidentialité n'est encore publiée ici.
portal-notice-version-in-force = Version en vigueur :
portal-notice-intro = Chaque version reste consultable avec ses dates et les changements par rapport à la précédente. Un changement substantiel vous est annoncé à l'avance.
portal-notice-title = Politique de confidentialité

# Any action page, a refused code (correction).
portal-refused-code = Code erroné, expiré ou déjà utilisé. Vérifiez-le, ou recommencez la correction pour en recevoir un autre.

# Refused-action page (any portal action, status 422).
portal-refused-nothing-changed = Rien n'a été modifié.
portal-refused-go-back = Revenir en arrière
portal-refused-title = Action refusée

# Refused-action page, a request of someone else.
portal-refused-not-yours = Cette demande n'est pas l'une des vôtres ; recommencez depuis la page « Corriger une donnée ».

# Requests page (/portail/demandes).
portal-requests-intro = Nous répondons à chaque demande dans le délai légal d'un mois à compter de sa réception, prolongeable de deux mois pour les demandes complexes, auquel cas nous vous en informons avec les motifs (RGPD art. 12(3)). Le délai que nous nous sommes engagés à tenir est indiqué lorsqu'il existe.
portal-requests-none = Vous n'avez fait aucune demande.
portal-requests-caption = Vos demandes, les plus récentes d'abord
portal-requests-col-reference = Référence
portal-requests-col-request = Demande
portal-requests-col-status = État
portal-requests-col-received = Reçue le
portal-requests-col-legal-deadline = Délai légal
portal-requests-col-promised = Délai promis
portal-requests-extended = (prolongé)
portal-requests-no-commitment = aucun engagement déclaré
portal-requests-title = Vos demandes
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
portal-limits-lift = Lever cette limitation
portal-limits-lift-not-restricted = Ce traitement n'est pas limité pour vos données : il n'y a pas de limitation à lever. Une opposition ne se lève pas ici.
portal-limits-lifted-title = Limitation levée
portal-limits-lifted = La limitation de « { $purpose } » est levée depuis le { $date } : ce traitement reprend pour vos données.
portal-limits-back-to-limits = Retour à Limiter ou vous opposer
