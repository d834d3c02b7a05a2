# Page frame and error pages shared by the console and the portal (src/ui/page.rs).

site-console = Console du personnel — Habeas
site-portal = Mes données
skip-to-content = Aller au contenu
nav-language = Langue
nav-main = Navigation principale
sign-out = Se déconnecter
footer-gdpr = Données personnelles traitées conformément au RGPD.
# The name of each language, written in that language (for the switch).
lang-name = Français

error-internal-title = Erreur interne
error-internal-text = La page n'a pas pu être préparée. Réessayez ; si cela persiste, prévenez l'administrateur (le détail est dans le journal du serveur).
error-unavailable-title = Stockage plein
error-unavailable-text = Le disque du coffre est plein : rien n'a été enregistré. Réessayez dans quelques instants ; si cela persiste, prévenez l'administrateur, qui doit libérer de la place.
error-csrf-title = Formulaire refusé
error-csrf-text = Ce formulaire a expiré ou ne vient pas de ce site (jeton anti-falsification absent ou erroné). Rechargez la page et renvoyez-le.
error-forbidden-title = Accès refusé
error-forbidden-text = Vos rôles ne donnent pas accès à cette page. Le refus est inscrit au journal d'audit ; demandez à un administrateur si vous en avez besoin.
error-not-found-title = Introuvable
error-not-found-text = Cette page n'existe pas.
error-query-title = Adresse illisible
error-query-text = Les paramètres de cette adresse ne peuvent pas être lus (un paramètre donné deux fois, ou d'une forme inattendue). Revenez à la page précédente et suivez son lien.
error-home-link = Aller à la page d'accueil

# Used by the message tests to prove that plurals follow the language.
shell-selftest-plural = { $count ->
    [one] { $count } élément
   *[other] { $count } éléments
}
