def migrate(cr, version):
    """Neighbours' groups join by invitation: close the ones that were open to sign-up by the
    former default."""
    cr.execute("UPDATE carshare_community SET portal_signup = FALSE WHERE kind = 'neighbours'")
