"""Inquiry desk (問合せ), FAQ, talk scripts, operation reports and the daily checklist."""

from django.urls import path

from capmarket.interfaces.web.views import desk, helpdesk, reports

urlpatterns = [
    path("inquiries/", helpdesk.inquiry_list, name="inquiry_list"),
    path("inquiries/new/", helpdesk.inquiry_create, name="inquiry_create"),
    path("inquiries/<int:pk>/", helpdesk.inquiry_detail, name="inquiry_detail"),
    path("inquiries/attachments/<int:pk>/", helpdesk.attachment_download, name="inquiry_attachment"),
    path("faq/", helpdesk.faq_list, name="faq_list"),
    path("faq/suggest/", helpdesk.faq_suggest, name="faq_suggest"),
    path("faq/<int:pk>/", helpdesk.faq_detail, name="faq_detail"),
    path("talk-scripts/", helpdesk.talk_script_list, name="talk_script_list"),
    path("talk-scripts/<int:pk>/", helpdesk.talk_script_detail, name="talk_script_detail"),
    path("knowledge/<str:kind>/new/", helpdesk.article_edit, name="article_create"),
    path("knowledge/<str:kind>/<int:pk>/edit/", helpdesk.article_edit, name="article_edit"),
    path("desk/", desk.desk_list, name="desk_list"),
    path("desk/overdue/", desk.desk_list, name="desk_overdue"),
    path("desk/inquiries.csv", desk.desk_csv, name="desk_csv"),
    path("desk/review/", desk.review_list, name="desk_review"),
    path("desk/phone/", desk.phone_call, name="desk_phone"),
    path("desk/fetch-mail/", desk.fetch_mail_now, name="desk_fetch_mail"),
    path("desk/<int:pk>/", desk.desk_detail, name="desk_detail"),
    path("desk/<int:pk>/<str:what>/", desk.desk_update, name="desk_update"),
    path("desk/drafts/<int:pk>/<str:what>/", desk.draft_action, name="draft_action"),
    path("desk/messages/<int:pk>/eml/", desk.message_eml, name="message_eml"),
    path("reports/", reports.report_list, name="report_list"),
    path("reports/new/", reports.report_create, name="report_create"),
    path("reports/<int:pk>/", reports.report_detail, name="report_detail"),
    path("reports/<int:pk>/pdf/", reports.report_pdf, name="report_pdf"),
    path("reports/<int:pk>/xlsx/", reports.report_xlsx, name="report_xlsx"),
    path("checklist/", reports.checklist, name="checklist"),
]
