from shared_apps.hospitals.tenancy import resolve_hospital


def hospital_branding(request):
    """The hospital's name, logo and colour for every dashboard page's header."""
    hospital = resolve_hospital(request)
    if hospital is None:
        return {}
    return {"hospital": hospital, "hospital_logo_url": hospital.logo.url if hospital.logo else None}
