"""System access: certificates, contractors, suspension, maintenance, limits, use applications, termination."""

from django.urls import path

from capmarket.interfaces.web.views import access, access_contractors, access_staff

urlpatterns = [
    path("apply/", access.apply, name="apply"),
    path("apply/done/", access.apply_done, name="apply_done"),
    path("access/", access_staff.overview, name="access_overview"),
    path("access/certificates/", access.certificate_list, name="access_certificates"),
    path("access/certificates/new/", access.certificate_register, name="access_certificate_register"),
    path("access/certificates/import/", access.certificate_import, name="access_certificate_import"),
    path("access/certificates/<int:pk>/", access.certificate_detail, name="access_certificate_detail"),
    path("access/certificates/<int:pk>/revoke/", access.certificate_revoke, name="access_certificate_revoke"),
    path("access/contractors/", access_contractors.contractors, name="access_contractors"),
    path(
        "access/contractors/<int:pk>/withdraw/",
        access_contractors.delegation_withdraw,
        name="access_delegation_withdraw",
    ),
    path(
        "access/contractors/<int:pk>/functions/",
        access_contractors.delegation_functions,
        name="access_delegation_functions",
    ),
    path("access/acting/", access_contractors.acting, name="access_acting"),
    path("access/suspensions/", access_staff.suspensions, name="access_suspensions"),
    path("access/suspensions/<int:participant_id>/lift/", access_staff.suspension_lift, name="access_suspension_lift"),
    path("access/maintenance/", access_staff.maintenance, name="access_maintenance"),
    path("access/maintenance/<int:pk>/end/", access_staff.maintenance_end, name="access_maintenance_end"),
    path("access/limits/", access_staff.limits, name="access_limits"),
    path("access/limits/<int:participant_id>/clear/", access_staff.limit_clear, name="access_limit_clear"),
    path("access/applications/", access.application_list, name="access_applications"),
    path("access/applications/<int:pk>/", access.application_detail, name="access_application_detail"),
    path("access/termination/", access.termination, name="access_termination"),
    path("access/termination/<int:pk>/decide/", access.termination_decide, name="access_termination_decide"),
]
