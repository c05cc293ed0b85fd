from django.urls import path, re_path

from tenant_apps.fhir.apis import FHIR_RESOURCES, MetadataApi, UnknownApi

urlpatterns = [path("metadata", MetadataApi.as_view(), name="fhir-metadata")]
for api in FHIR_RESOURCES:
    view = api.as_view()
    urlpatterns.append(path(api.resource_type, view, name=f"fhir-{api.resource_type.lower()}-search"))
    if api.readable:
        urlpatterns.append(path(f"{api.resource_type}/<str:ident>", view, name=f"fhir-{api.resource_type.lower()}"))
urlpatterns.append(re_path(r"^(?P<path>.*)$", UnknownApi.as_view(), name="fhir-unknown"))
