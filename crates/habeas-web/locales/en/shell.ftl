# Page frame and error pages shared by the console and the portal (src/ui/page.rs).

site-console = Staff console — Habeas
site-portal = My data
skip-to-content = Skip to content
nav-language = Language
nav-main = Main navigation
sign-out = Sign out
footer-gdpr = Personal data processed under the GDPR.
# The name of each language, written in that language (for the switch).
lang-name = English

error-internal-title = Internal error
error-internal-text = The page could not be prepared. Try again; if it persists, tell the administrator (details are in the server log).
error-unavailable-title = Storage full
error-unavailable-text = The vault's disk is full: nothing was saved. Try again in a moment; if it persists, tell the administrator, who must free some space.
error-csrf-title = Form refused
error-csrf-text = This form expired or did not come from this site (anti-forgery token missing or wrong). Reload the page and send it again.
error-forbidden-title = Access refused
error-forbidden-text = Your roles do not open this page. The refusal is written to the audit journal; ask an administrator if you need it.
error-not-found-title = Not found
error-not-found-text = This page does not exist.
error-query-title = Unreadable address
error-query-text = This address's parameters cannot be read (a parameter given twice, or of an unexpected form). Go back to the previous page and follow its link.
error-home-link = Go to the home page

# Used by the message tests to prove that plurals follow the language.
shell-selftest-plural = { $count ->
    [one] { $count } item
   *[other] { $count } items
}
