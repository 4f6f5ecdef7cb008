package web

import (
	"net/http"

	"treem/internal/auth"
)

// buildRoutes lists every route with the rule that guards it: public,
// signed in, or a permission. Scope (which unit's records) is checked in the
// handlers and the domain queries. A test tries every route with every
// role (see docs/security.md).
func (s *Server) buildRoutes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, rule Rule, handler http.Handler) {
		s.routes = append(s.routes, Route{Pattern: pattern, Rule: rule})
		mux.Handle(pattern, s.guard(pattern, rule, handler))
	}

	// Operations.
	h("GET /healthz", public, s.healthz())
	h("GET /readyz", public, s.readyz())
	h("GET /metrics", public, s.metricsHandler())
	h("GET /static/", public, s.static())
	h("GET /api/v1/openapi.json", public, s.openapi())

	// Signing in and out; the account's own pages.
	h("GET /login", public, s.loginPage())
	h("POST /login", public, s.limit("login", 20, s.login()))
	h("GET /login/totp", public, s.totpPage())
	h("POST /login/totp", public, s.limit("login", 20, s.totpLogin()))
	h("POST /logout", public, s.logout())
	h("POST /lang", public, s.setLang())
	h("GET /{$}", signedIn, s.home())
	h("GET /account", pending, s.accountPage())
	h("GET /account/password", pending, s.passwordPage())
	h("POST /account/password", pending, s.limit("login", 20, s.changePassword()))
	h("GET /account/totp", pending, s.totpSetupPage())
	h("GET /account/totp/qr.png", pending, s.totpQR())
	h("POST /account/totp", pending, s.limit("login", 20, s.totpConfirm()))
	h("GET /api/v1/me", signedIn, s.me())

	// Administrative units.
	h("GET /units", signedIn, s.unitsPage())
	h("GET /api/v1/units", signedIn, s.listUnits())
	h("GET /api/v1/units/{code}", signedIn, s.getUnit())
	h("GET /api/v1/units/resolve-old/{oldCode}", signedIn, s.resolveOld())

	// Accounts.
	h("GET /users", need(auth.PermUsersManage), s.usersPage())
	h("GET /users/new", need(auth.PermUsersManage), s.newUserPage())
	h("POST /users", need(auth.PermUsersManage), s.createUserForm())
	h("GET /users/{id}", need(auth.PermUsersManage), s.userPage())
	h("POST /users/{id}", need(auth.PermUsersManage), s.updateUserForm())
	h("POST /users/{id}/reset-password", need(auth.PermUsersManage), s.resetPasswordForm())
	h("POST /users/{id}/unlock", need(auth.PermUsersManage), s.unlockForm())
	h("POST /users/{id}/totp-reset", need(auth.PermUsersManage), s.totpResetForm())
	h("GET /api/v1/users", need(auth.PermUsersManage), s.apiListUsers())
	h("POST /api/v1/users", need(auth.PermUsersManage), s.apiCreateUser())
	h("GET /api/v1/users/{id}", need(auth.PermUsersManage), s.apiGetUser())
	h("PATCH /api/v1/users/{id}", need(auth.PermUsersManage), s.apiUpdateUser())

	// Registry of children in special circumstances and the help they receive.
	h("GET /children", need(auth.PermChildRead), s.childrenPage())
	h("GET /children/new", need(auth.PermChildWrite), s.newChildPage())
	h("POST /children", need(auth.PermChildWrite), s.createChildForm())
	h("POST /children/match", need(auth.PermChildRead), s.matchFragment())
	h("GET /children/import", need(auth.PermChildImport), s.importPage())
	h("POST /children/import", need(auth.PermChildImport), s.importForm())
	h("GET /children/import/rejects.csv", need(auth.PermChildImport), s.importRejects())
	h("GET /children/{id}", need(auth.PermChildRead), s.childPage())
	h("GET /children/{id}/edit", need(auth.PermChildWrite), s.editChildPage())
	h("POST /children/{id}", need(auth.PermChildWrite), s.updateChildForm())
	h("POST /children/{id}/supports", need(auth.PermChildWrite), s.addSupportForm())
	h("POST /children/{id}/merge", need(auth.PermChildMerge), s.mergeChildForm())
	h("POST /children/{id}/unmerge", need(auth.PermChildUnmerge), s.unmergeChildForm())
	h("GET /api/v1/children", need(auth.PermChildRead), s.apiListChildren())
	h("POST /api/v1/children", need(auth.PermChildWrite), s.apiCreateChild())
	h("GET /api/v1/children/options", need(auth.PermChildRead), s.apiChildOptions())
	h("GET /api/v1/children/export", need(auth.PermChildExport), s.apiExportChildren())
	h("POST /api/v1/children/imports", need(auth.PermChildImport), s.apiStartImport())
	h("GET /api/v1/children/imports/{id}", need(auth.PermChildImport), s.apiImportStatus())
	h("POST /api/v1/children/match", need(auth.PermChildRead), s.apiMatchChildren())
	h("GET /api/v1/children/{id}", need(auth.PermChildRead), s.apiGetChild())
	h("PATCH /api/v1/children/{id}", need(auth.PermChildWrite), s.apiUpdateChild())
	h("POST /api/v1/children/{id}/supports", need(auth.PermChildWrite), s.apiAddSupport())
	h("POST /api/v1/children/{id}/merge", need(auth.PermChildMerge), s.apiMergeChild())
	h("POST /api/v1/children/{id}/unmerge", need(auth.PermChildUnmerge), s.apiUnmergeChild())

	// Personal data (Nghị định 13/2023): legal basis and consent, the
	// subject-access export, anonymisation.
	h("GET /children/{id}/privacy", need(auth.PermChildRead), s.privacyPage())
	h("POST /children/{id}/consents", need(auth.PermChildWrite), s.consentForm())
	h("POST /children/{id}/anonymise", need(auth.PermPersonalData), s.anonymiseForm())
	h("GET /children/{id}/personal-data", need(auth.PermPersonalData), s.personalDataPage())
	h("GET /api/v1/personal-data/children/{id}/consents", need(auth.PermChildRead), s.apiConsents())
	h("POST /api/v1/personal-data/children/{id}/consents", need(auth.PermChildWrite), s.apiRecordConsent())
	h("GET /api/v1/personal-data/children/{id}", need(auth.PermPersonalData), s.apiPersonalData())
	h("POST /api/v1/personal-data/children/{id}/anonymise", need(auth.PermPersonalData), s.apiAnonymise())

	// Audit log.
	h("GET /audit", need(auth.PermAuditRead), s.auditPage())
	h("GET /api/v1/audit", need(auth.PermAuditRead), s.apiAudit())

	// Indicators, dashboards and reports (issue 6).
	h("GET /indicators", need(auth.PermIndicators), s.dashboardPage())
	h("GET /indicators/catalogue", need(auth.PermIndicators), s.cataloguePage())
	h("GET /api/v1/indicators", need(auth.PermIndicators), s.apiIndicators())
	h("GET /api/v1/indicators/export", need(auth.PermIndicators), s.apiIndicatorExport())
	h("GET /api/v1/indicators/report", need(auth.PermIndicators), s.apiIndicatorReport())
	h("GET /api/v1/indicators/catalogue", need(auth.PermIndicators), s.apiCatalogue())
	h("GET /api/v1/indicators/catalogue/{code}", need(auth.PermIndicators), s.apiIndicatorVersions())
	h("PUT /api/v1/indicators/catalogue/{code}", need(auth.PermSettings), s.apiUpdateIndicator())

	// Aggregate returns: entry, approval commune → province → nation, completeness.
	returns := needAny(auth.PermReturnsEnter, auth.PermReturnsAppr)
	h("GET /returns", returns, s.returnsPage())
	h("GET /returns/new", need(auth.PermReturnsEnter), s.returnFormPage())
	h("POST /returns", need(auth.PermReturnsEnter), s.returnFormPost())
	h("GET /returns/{id}", returns, s.returnPage())
	h("POST /returns/{id}/approve", need(auth.PermReturnsAppr), s.returnApprovePost())
	h("POST /returns/{id}/reopen", need(auth.PermReturnsAppr), s.returnReopenPost())
	h("GET /api/v1/returns", returns, s.apiListReturns())
	h("POST /api/v1/returns", need(auth.PermReturnsEnter), s.apiSaveReturn())
	h("GET /api/v1/returns/completeness", returns, s.apiCompleteness())
	h("GET /api/v1/returns/{id}", returns, s.apiGetReturn())
	h("POST /api/v1/returns/{id}/approve", need(auth.PermReturnsAppr), s.apiApproveReturn())
	h("POST /api/v1/returns/{id}/reopen", need(auth.PermReturnsAppr), s.apiReopenReturn())
	// Hotline 111: signed channels (no session), the public report, the
	// counsellors' API and pages, the supervisor's figures.
	h("POST /api/v1/telephony/events", public, s.telephonyEvents()) // HMAC-signed by the switch
	h("POST /webhooks/zalo", public, s.zaloWebhook())               // signed by Zalo (X-ZEvent-Signature)
	h("POST /api/v1/public/reports", public, s.limit("public-report", publicReportsPerMinute, s.apiSubmitReport()))
	h("GET /api/v1/public/reports/{code}", public, s.limitAll("report-status", reportLookupsPerMinute, s.apiReportStatus()))
	h("GET /report", public, s.reportPage())
	h("POST /report", public, s.limit("public-report", publicReportsPerMinute, s.reportForm()))
	h("GET /report/status", public, s.limitAll("report-status", reportLookupsPerMinute, s.reportStatusPage()))

	h("GET /api/v1/contacts", need(auth.PermContactRead), s.apiSearchContacts())
	h("POST /api/v1/contacts", need(auth.PermContactWrite), s.apiCreateContact())
	h("GET /api/v1/contacts/{id}", need(auth.PermContactRead), s.apiGetContact())
	h("PATCH /api/v1/contacts/{id}", need(auth.PermContactWrite), s.apiUpdateContact())
	h("POST /api/v1/contacts/{id}/claim", need(auth.PermContactWrite), s.apiClaimContact())
	h("POST /api/v1/contacts/{id}/messages", need(auth.PermContactWrite), s.apiReply())
	h("POST /api/v1/contacts/{id}/block", need(auth.PermContactWrite), s.apiBlockCaller())
	h("POST /api/v1/contacts/{id}/referrals", need(auth.PermContactWrite), s.apiRefer())
	h("GET /api/v1/contacts/{id}/recording", need(auth.PermContactRead), s.apiRecording())
	h("GET /api/v1/contacts/{id}/attachments/{aid}", need(auth.PermContactRead), s.attachment())
	h("GET /api/v1/hotline/queue", need(auth.PermContactRead), s.apiQueue())
	h("GET /api/v1/hotline/stats", need(auth.PermHotlineSuper), s.apiStats())
	h("GET /api/v1/hotline/reference", need(auth.PermContactRead), s.apiRefs())
	h("PUT /api/v1/hotline/reference/{kind}/{code}", need(auth.PermSettings), s.apiSaveRef())
	h("PUT /api/v1/hotline/extension", need(auth.PermContactWrite), s.apiSetExtension())
	h("PUT /api/v1/hotline/zalo/token", need(auth.PermSettings), s.apiZaloToken())

	h("GET /hotline", need(auth.PermContactRead), s.workspacePage())
	h("GET /hotline/queue", need(auth.PermContactRead), s.queueFragment())
	h("POST /hotline/extension", need(auth.PermContactWrite), s.extensionForm())
	h("GET /hotline/contacts", need(auth.PermContactRead), s.searchPage())
	h("POST /hotline/contacts", need(auth.PermContactWrite), s.newContactForm())
	h("GET /hotline/contacts/{id}", need(auth.PermContactRead), s.contactPage())
	h("POST /hotline/contacts/{id}", need(auth.PermContactWrite), s.wrapUpForm())
	h("POST /hotline/contacts/{id}/claim", need(auth.PermContactWrite), s.claimForm())
	h("POST /hotline/contacts/{id}/reply", need(auth.PermContactWrite), s.replyForm())
	h("POST /hotline/contacts/{id}/block", need(auth.PermContactWrite), s.blockForm())
	h("POST /hotline/contacts/{id}/refer", need(auth.PermContactWrite), s.referForm())
	h("GET /hotline/supervisor", need(auth.PermHotlineSuper), s.supervisorPage())
	h("GET /hotline/wallboard", need(auth.PermHotlineSuper), s.wallboardPage())
	h("GET /hotline/wallboard/panel", need(auth.PermHotlineSuper), s.wallboardPanel())

	// Notifications: each account sees only its own.
	h("GET /notifications", signedIn, s.notificationsPage())
	h("POST /notifications/read-all", signedIn, s.readAllNotificationsForm())
	h("POST /notifications/{id}/read", signedIn, s.readNotificationForm())
	h("GET /api/v1/notifications", signedIn, s.apiNotifications())
	h("POST /api/v1/notifications/{id}/read", signedIn, s.apiReadNotification())

	// Case management (issue 5): the legal workflow, deadlines, break-glass.
	caseMove := needAny(auth.PermCaseWrite, auth.PermCaseApprove)
	h("GET /cases", need(auth.PermCaseRead), s.casesPage())
	h("GET /cases/new", need(auth.PermCaseWrite), s.newCasePage())
	h("POST /cases", need(auth.PermCaseWrite), s.createCaseForm())
	h("GET /cases/access-log", need(auth.PermCaseRead), s.caseAccessLogPage())
	h("GET /cases/{id}", need(auth.PermCaseRead), s.casePage())
	h("POST /cases/{id}/transitions", caseMove, s.caseTransitionForm())
	h("POST /cases/{id}/assign", need(auth.PermCaseWrite), s.caseAssignForm())
	h("POST /cases/{id}/notes", need(auth.PermCaseWrite), s.caseNoteForm())
	h("POST /cases/{id}/assessments", need(auth.PermCaseWrite), s.caseAssessmentForm())
	h("POST /cases/{id}/emergency-measures", need(auth.PermCaseWrite), s.caseEmergencyForm())
	h("POST /cases/{id}/plans", need(auth.PermCaseWrite), s.casePlanForm())
	h("POST /cases/{id}/reviews", need(auth.PermCaseWrite), s.caseReviewForm())
	h("POST /cases/{id}/perpetrator", need(auth.PermCaseWrite), s.casePerpetratorForm())
	h("POST /cases/{id}/access", need(auth.PermCaseRead), s.caseAccessForm())
	h("GET /holidays", need(auth.PermSettings), s.holidaysPage())
	h("POST /holidays", need(auth.PermSettings), s.saveHolidayForm())
	h("POST /holidays/{day}/delete", need(auth.PermSettings), s.deleteHolidayForm())
	h("GET /api/v1/cases", need(auth.PermCaseRead), s.apiListCases())
	h("POST /api/v1/cases", need(auth.PermCaseWrite), s.apiCreateCase())
	h("GET /api/v1/cases/access-log", need(auth.PermCaseRead), s.apiCaseAccessLog())
	h("GET /api/v1/cases/{id}", need(auth.PermCaseRead), s.apiGetCase())
	h("PATCH /api/v1/cases/{id}", need(auth.PermCaseWrite), s.apiUpdateCase())
	h("GET /api/v1/cases/{id}/timeline", need(auth.PermCaseRead), s.apiCaseTimeline())
	h("POST /api/v1/cases/{id}/transitions", caseMove, s.apiCaseTransition())
	h("POST /api/v1/cases/{id}/assessments", need(auth.PermCaseWrite), s.apiCaseAssessment())
	h("POST /api/v1/cases/{id}/emergency-measures", need(auth.PermCaseWrite), s.apiCaseEmergency())
	h("POST /api/v1/cases/{id}/plans", need(auth.PermCaseWrite), s.apiCasePlan())
	h("POST /api/v1/cases/{id}/plans/{pid}/approval", need(auth.PermCaseApprove), s.apiCasePlanApproval())
	h("POST /api/v1/cases/{id}/reviews", need(auth.PermCaseWrite), s.apiCaseReview())
	h("POST /api/v1/cases/{id}/notes", need(auth.PermCaseWrite), s.apiCaseNote())
	h("POST /api/v1/cases/{id}/reports", need(auth.PermCaseWrite), s.apiCaseReport())
	h("POST /api/v1/cases/{id}/incidents", need(auth.PermCaseWrite), s.apiCaseIncident())
	h("POST /api/v1/cases/{id}/children", need(auth.PermCaseWrite), s.apiCaseChild())
	h("PUT /api/v1/cases/{id}/perpetrator", need(auth.PermCaseWrite), s.apiSetPerpetrator())
	h("POST /api/v1/cases/{id}/access", need(auth.PermCaseRead), s.apiCaseAccess())
	h("GET /api/v1/holidays", signedIn, s.apiHolidays())
	h("PUT /api/v1/holidays/{day}", need(auth.PermSettings), s.apiSaveHoliday())
	h("DELETE /api/v1/holidays/{day}", need(auth.PermSettings), s.apiDeleteHoliday())

	// Service providers and referrals (issue 5, part 4). The directory is
	// open to those who refer (cases.write) and managed with
	// providers.manage; a provider's staff work on what was referred to
	// them (referrals.work).
	directory := needAny(auth.PermProviders, auth.PermCaseWrite)
	h("GET /providers", directory, s.providersPage())
	h("GET /providers/new", need(auth.PermProviders), s.newProviderPage())
	h("POST /providers", need(auth.PermProviders), s.createProviderForm())
	h("GET /providers/{id}", directory, s.providerPage())
	h("POST /providers/{id}", need(auth.PermProviders), s.updateProviderForm())
	h("POST /providers/{id}/users", need(auth.PermProviders), s.linkProviderUserForm())
	h("GET /api/v1/providers", directory, s.apiListProviders())
	h("POST /api/v1/providers", need(auth.PermProviders), s.apiCreateProvider())
	h("GET /api/v1/providers/{id}", directory, s.apiGetProvider())
	h("PATCH /api/v1/providers/{id}", need(auth.PermProviders), s.apiUpdateProvider())
	h("POST /api/v1/providers/{id}/users", need(auth.PermProviders), s.apiLinkProviderUser())
	h("DELETE /api/v1/providers/{id}/users/{userID}", need(auth.PermProviders), s.apiUnlinkProviderUser())

	h("GET /api/v1/cases/{id}/referrals", need(auth.PermCaseRead), s.apiCaseReferrals())
	h("POST /api/v1/cases/{id}/referrals", need(auth.PermCaseWrite), s.apiCreateReferral())
	h("GET /api/v1/referrals", need(auth.PermReferralWork), s.apiInbox())
	h("GET /api/v1/referrals/{id}", needAny(auth.PermReferralWork, auth.PermCaseRead), s.apiGetReferral())
	h("POST /api/v1/referrals/{id}/transitions", needAny(auth.PermReferralWork, auth.PermCaseWrite), s.apiMoveReferral())
	h("GET /referrals", need(auth.PermReferralWork), s.inboxPage())
	h("GET /referrals/{id}", needAny(auth.PermReferralWork, auth.PermCaseRead), s.referralPage())
	h("POST /referrals/{id}", needAny(auth.PermReferralWork, auth.PermCaseWrite), s.moveReferralForm())

	// Documents of a case (issue 5, part 5): attachments, sealed and
	// typed by content; the forms Mẫu số 01–07 as a page and as PDF.
	h("GET /api/v1/cases/{id}/attachments", need(auth.PermCaseRead), s.apiCaseAttachments())
	h("POST /api/v1/cases/{id}/attachments", need(auth.PermCaseWrite), s.apiAddAttachment())
	h("GET /api/v1/attachments/{id}", need(auth.PermCaseRead), s.apiDownloadAttachment())
	h("GET /cases/{id}/forms/{n}", need(auth.PermCaseRead), s.casePrintForm())
	h("GET /cases/{id}/services", need(auth.PermCaseRead), s.caseServicesPage())
	h("POST /cases/{id}/referrals", need(auth.PermCaseWrite), s.caseReferForm())
	h("POST /cases/{id}/attachments", need(auth.PermCaseWrite), s.uploadForm())

	h("/api/", public, s.apiNotFound())

	return s.observe(s.secure(http.NewCrossOriginProtection().Handler(s.identify(s.forms(mux)))))
}
