package api

import (
	"net/http"

	"github.com/kassa-pay/kassa/api/openapi"
	"github.com/kassa-pay/kassa/store"
	"github.com/kassa-pay/kassa/wire"
)

// addRoutes is the API's surface in one place (the payment module's is
// in paymentmodule.go; the buyer's pages add theirs, Config.Pages).
func (s *Server) addRoutes() {
	m, auth, public := s.mux, s.auth, s.handle

	m.HandleFunc("GET /healthz", s.handleHealth)
	m.HandleFunc("GET /readyz", s.handleReady)
	m.HandleFunc("GET /assets/invoice.svg", handleInvoiceLogo)
	m.HandleFunc("POST /oauth/token", public(s.handleToken))
	m.HandleFunc("GET /openapi.json", public(openapi.ServeJSON))
	m.HandleFunc("GET /docs/api", public(openapi.ServeReference))

	m.HandleFunc("POST /v1/payment-sessions", auth(s.handleSessionCreate))
	m.HandleFunc("GET /v1/payment-sessions", auth(s.handleSessionList))
	m.HandleFunc("GET /v1/payment-sessions/{sessionId}", auth(s.handleSessionGet))
	m.HandleFunc("POST /v1/payment-sessions/{sessionId}", auth(s.handleSessionUpdate))
	m.HandleFunc("DELETE /v1/payment-sessions/{sessionId}", auth(s.handleSessionCancel))
	m.HandleFunc("POST /v1/sandbox/payment-sessions/{sessionId}/authorize", auth(s.sandboxOnly(s.handleSandboxAuthorize)))
	m.HandleFunc("POST /v1/sandbox/payment-sessions/{sessionId}/sign", auth(s.sandboxOnly(s.handleSandboxSign)))

	m.HandleFunc("POST /v1/authorization-tokens/{token}/order", auth(s.handleTokenOrder))
	m.HandleFunc("DELETE /v1/authorization-tokens/{token}", auth(s.handleTokenCancel))

	m.HandleFunc("GET /v1/orders", auth(s.handleOrderList))
	m.HandleFunc("GET /v1/orders.csv", auth(s.handleOrderCSV))
	m.HandleFunc("GET /v1/orders/{orderId}", auth(s.handleOrderGet))
	m.HandleFunc("POST /v1/orders/{orderId}", auth(s.handleOrderEdit))
	m.HandleFunc("POST /v1/orders/{orderId}/acknowledge", auth(s.handleAcknowledge))
	m.HandleFunc("POST /v1/orders/{orderId}/reference", auth(s.handleReference))
	m.HandleFunc("POST /v1/orders/{orderId}/capture", auth(s.handleCapture))
	m.HandleFunc("POST /v1/orders/{orderId}/partialcapture", auth(s.handlePartialCapture))
	m.HandleFunc("POST /v1/orders/{orderId}/refund/{ledgerId}", auth(s.handleRefund))
	m.HandleFunc("POST /v1/orders/{orderId}/partialrefund/{ledgerId}", auth(s.handlePartialRefund))
	m.HandleFunc("DELETE /v1/orders/{orderId}", auth(s.handleOrderCancel))
	m.HandleFunc("DELETE /v1/orders/{orderId}/{ledgerId}", auth(s.handleChunkCancel))
	m.HandleFunc("POST /v1/orders/{orderId}/customer", auth(s.handleCustomer))
	m.HandleFunc("POST /v1/orders/{orderId}/paymentmethod", auth(s.handlePaymentMethod))
	m.HandleFunc("POST /v1/orders/{orderId}/extendexpiry", auth(s.handleExtendExpiry))
	m.HandleFunc("GET /v1/orders/{orderId}/paymentstatus", auth(s.handleOrderPaymentStatus))
	m.HandleFunc("GET /v1/paymentstatus", auth(s.handlePaymentStatus))

	m.HandleFunc("POST /v1/api-clients", auth(s.handleClientCreate))
	m.HandleFunc("GET /v1/api-clients", auth(s.handleClientList))
	m.HandleFunc("POST /v1/api-clients/{clientId}/rotate", auth(s.handleClientRotate))
	m.HandleFunc("DELETE /v1/api-clients/{clientId}", auth(s.handleClientRevoke))

	m.HandleFunc("POST /v1/notification-endpoints", auth(s.handleEndpointCreate))
	m.HandleFunc("GET /v1/notification-endpoints", auth(s.handleEndpointList))
	m.HandleFunc("DELETE /v1/notification-endpoints/{endpointId}", auth(s.handleEndpointDelete))
	m.HandleFunc("POST /v1/notification-endpoints/{endpointId}/rotate-secret", auth(s.handleEndpointRotate))
	m.HandleFunc("POST /v1/notification-endpoints/{endpointId}/enable", auth(s.handleEndpointEnable))
	m.HandleFunc("POST /v1/notification-endpoints/{endpointId}/disable", auth(s.handleEndpointDisable))
	m.HandleFunc("GET /v1/notification-signing-secret", auth(s.handleSigningSecret))
	m.HandleFunc("GET /v1/notifications", auth(s.handleNotificationList))
	m.HandleFunc("GET /v1/notifications/stream", auth(s.handleNotificationStream))
	m.HandleFunc("GET /v1/notifications/{notificationId}", auth(s.handleNotificationGet))
	m.HandleFunc("POST /v1/notifications/{notificationId}/redeliver", auth(s.handleRedeliver))
	// Invoice documents: Kassa's own endpoints.
	m.HandleFunc("GET /v1/orders/{orderId}/documents", auth(s.handleOrderDocuments))
	m.HandleFunc("GET /v1/documents", auth(s.handleDocumentList))
	m.HandleFunc("GET /v1/documents/{documentId}", auth(s.handleDocumentPDF))
	m.HandleFunc("GET /invoices/{token}", public(s.handleBuyerPDF)) // invoice.Document.BuyerPath
	m.HandleFunc("GET /v1/invoice-settings", auth(s.handleInvoiceSettingsGet))
	m.HandleFunc("PUT /v1/invoice-settings", auth(s.handleInvoiceSettingsPut))
	m.HandleFunc("GET /v1/sandbox/mails", auth(s.sandboxOnly(s.handleSandboxMails)))
	m.HandleFunc("POST /v1/sandbox/payments", auth(s.sandboxOnly(s.handleSandboxPayment)))
	m.HandleFunc("GET /v1/sandbox/test-clock", auth(s.sandboxOnly(s.handleTestClockGet)))
	m.HandleFunc("POST /v1/sandbox/test-clock/advance", auth(s.sandboxOnly(s.handleTestClockAdvance)))
	m.HandleFunc("POST /v1/payments/import", auth(s.handlePaymentsImport))
	m.HandleFunc("GET /v1/payments", auth(s.handlePayments))
	m.HandleFunc("POST /v1/payments/{paymentId}/match", auth(s.handlePaymentMatch))
	m.HandleFunc("GET /v1/exports/sie", auth(s.handleSIEExport))
	m.HandleFunc("GET /v1/audit-events", auth(s.handleAuditEvents))
	m.HandleFunc("GET /v1/merchant", auth(s.handleMerchantGet))
	m.HandleFunc("PATCH /v1/merchant", auth(s.handleMerchantPatch))
	m.HandleFunc("GET /v1/credit-policy", auth(s.handleCreditPolicyGet))
	m.HandleFunc("PUT /v1/credit-policy", auth(s.handleCreditPolicyPut))
	m.HandleFunc("GET /v1/credit-decisions", auth(s.handleCreditDecisions))
}

// handleHealth is liveness: the process serves requests. It asks nothing
// of the database, so a restart is not what an unreachable one calls for.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	wire.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady is readiness: a cheap real query through the store, so a
// replica whose database is gone is taken out of the load balancer (503)
// rather than answering the API with 500s.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	err := s.app.View(r.Context(), func(tx store.ReadTx) error {
		_, err := tx.CountMerchants(r.Context())
		return err
	})
	if err != nil {
		s.log.WarnContext(r.Context(), "not ready: the database does not answer", "err", err)
		wire.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "the database does not answer"})
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func handleInvoiceLogo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24"><path fill="none" stroke="#1a1a1a" stroke-width="1.5" d="M6 2h9l4 4v16H6zM14 2v5h5M9 12h7M9 16h7"/></svg>`))
}
