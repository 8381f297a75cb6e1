<?php
/**
 * paydesk gateway module for WHMCS: pays invoices on Stripe's hosted Checkout through paydesk.
 *
 * The Pay button posts a signed form to <paydesk>/whmcs/pay; paydesk re-reads the invoice through
 * the WHMCS API (the posted amount is never trusted), opens a Checkout session for the balance and
 * records the payment on the invoice itself (AddInvoicePayment, transid = the Stripe charge id).
 * Refunds made from the WHMCS admin area go through paydesk's refund API.
 *
 * PHP 7.4 to 8.x, no extension beyond the defaults (json, hash; openssl for https).
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

/** Version of the signed form; paydesk refuses versions it does not know. */
const PAYDESK_SIGNATURE_VERSION = 'v1';

/** The form fields covered by the signature, in signing order. */
const PAYDESK_SIGNED_FIELDS = ['invoice_id', 'amount', 'currency', 'email', 'return_url', 'timestamp'];

/** Currencies Stripe counts in whole units (no minor unit). */
const PAYDESK_ZERO_DECIMAL = [
    'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
];

/** Currencies Stripe counts in thousandths. */
const PAYDESK_THREE_DECIMAL = ['BHD', 'JOD', 'KWD', 'OMR', 'TND'];

function paydesk_MetaData()
{
    return [
        'DisplayName' => 'paydesk (Stripe Checkout)',
        'APIVersion' => '1.1',
        'DisableLocalCreditCardInput' => true,
        'TokenisedStorage' => false,
    ];
}

function paydesk_config()
{
    return [
        'FriendlyName' => ['Type' => 'System', 'Value' => 'paydesk (Stripe Checkout)'],
        'paydeskUrl' => [
            'FriendlyName' => 'paydesk URL',
            'Type' => 'text',
            'Size' => '60',
            'Default' => '',
            'Description' => 'Base URL of your paydesk, e.g. https://pay.example.com (no trailing path).',
        ],
        'moduleSecret' => [
            'FriendlyName' => 'Shared secret',
            'Type' => 'password',
            'Size' => '60',
            'Default' => '',
            'Description' => 'Signs the Pay button form. Same value as PAYDESK_WHMCS_MODULE_SECRET in paydesk.',
        ],
        'apiKey' => [
            'FriendlyName' => 'paydesk API key',
            'Type' => 'password',
            'Size' => '60',
            'Default' => '',
            'Description' => 'A paydesk API key with the refunds scope (for refunds from the admin area).',
        ],
        'testMode' => [
            'FriendlyName' => 'Test mode',
            'Type' => 'yesno',
            'Description' => 'Shows a "Test mode" badge beside the Pay button (use with Stripe test keys).',
        ],
    ];
}

/** Amount and currency as Stripe minor units, exactly (no floats); null when not a valid amount. */
function paydesk_to_minor_units($amount, $currency)
{
    $amount = trim((string) $amount);
    if (!preg_match('/^(\d{1,15})(?:\.(\d{1,3}))?$/', $amount, $m)) {
        return null;
    }
    $code = strtoupper((string) $currency);
    $places = in_array($code, PAYDESK_ZERO_DECIMAL, true) ? 0 : (in_array($code, PAYDESK_THREE_DECIMAL, true) ? 3 : 2);
    $fraction = isset($m[2]) ? $m[2] : '';
    if (strlen(rtrim($fraction, '0')) > $places) {
        return null; // more precision than the currency has: refuse rather than round
    }
    $fraction = str_pad(substr($fraction, 0, $places), $places, '0');
    $digits = ltrim($m[1] . $fraction, '0');
    if ($digits === '') {
        return 0;
    }
    if (strlen($digits) > 18) {
        return null;
    }
    return (int) $digits;
}

/** The string the signature covers: the version, then each signed field on its own line. */
function paydesk_signing_string(array $fields)
{
    $lines = [PAYDESK_SIGNATURE_VERSION];
    foreach (PAYDESK_SIGNED_FIELDS as $name) {
        $lines[] = isset($fields[$name]) ? (string) $fields[$name] : '';
    }
    return implode("\n", $lines);
}

/** Hex HMAC-SHA256 of the signing string with the shared secret. */
function paydesk_sign(array $fields, $secret)
{
    return hash_hmac('sha256', paydesk_signing_string($fields), (string) $secret);
}

function paydesk_base_url($url)
{
    return rtrim(trim((string) $url), '/');
}

function paydesk_h($value)
{
    return htmlspecialchars((string) $value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

function paydesk_is_on($value)
{
    return !empty($value) && $value !== 'off' && $value !== '0';
}

/** The Pay button: a plain form posting the signed invoice reference to paydesk. */
function paydesk_link($params)
{
    $base = paydesk_base_url(isset($params['paydeskUrl']) ? $params['paydeskUrl'] : '');
    $secret = isset($params['moduleSecret']) ? (string) $params['moduleSecret'] : '';
    if ($base === '' || $secret === '' || !preg_match('#^https?://#i', $base)) {
        return '<p class="paydesk-unavailable">Online payment is not configured yet. Please contact us.</p>';
    }
    $systemUrl = paydesk_base_url(isset($params['systemurl']) ? $params['systemurl'] : '');
    $invoiceId = (string) (isset($params['invoiceid']) ? $params['invoiceid'] : '');
    $email = isset($params['clientdetails']['email']) ? (string) $params['clientdetails']['email'] : '';
    $fields = [
        'invoice_id' => $invoiceId,
        'amount' => (string) (isset($params['amount']) ? $params['amount'] : ''),
        'currency' => strtoupper((string) (isset($params['currency']) ? $params['currency'] : '')),
        'email' => $email,
        'return_url' => $systemUrl . '/viewinvoice.php?id=' . rawurlencode($invoiceId),
        'timestamp' => (string) time(),
    ];
    foreach ($fields as $value) {
        if (strpbrk($value, "\r\n") !== false) {
            return '<p class="paydesk-unavailable">This invoice cannot be paid online. Please contact us.</p>';
        }
    }
    $fields['signature'] = paydesk_sign($fields, $secret);
    $label = isset($params['langpaynow']) && $params['langpaynow'] !== '' ? $params['langpaynow'] : 'Pay Now';

    $html = '<form class="paydesk-pay" method="post" action="' . paydesk_h($base . '/whmcs/pay') . '">';
    foreach ($fields as $name => $value) {
        $html .= '<input type="hidden" name="' . paydesk_h($name) . '" value="' . paydesk_h($value) . '">';
    }
    $html .= '<button type="submit" class="btn btn-success">' . paydesk_h($label) . '</button>';
    if (paydesk_is_on(isset($params['testMode']) ? $params['testMode'] : '')) {
        $html .= ' <span class="label label-warning paydesk-test-mode">Test mode</span>';
    }
    $html .= '</form>';
    return $html;
}

/**
 * POSTs JSON to paydesk; returns [HTTP status (0 when unreachable), decoded body or null, raw body].
 * A test may replace the transport through $GLOBALS['paydesk_http'] (a callable with the same shape).
 */
function paydesk_http_post_json($url, $apiKey, array $body)
{
    if (isset($GLOBALS['paydesk_http']) && is_callable($GLOBALS['paydesk_http'])) {
        return call_user_func($GLOBALS['paydesk_http'], $url, $apiKey, $body);
    }
    $json = json_encode($body);
    $context = stream_context_create([
        'http' => [
            'method' => 'POST',
            'header' => "Content-Type: application/json\r\nAccept: application/json\r\n"
                . 'Authorization: Bearer ' . $apiKey . "\r\n",
            'content' => $json,
            'timeout' => 30,
            'ignore_errors' => true,
            'follow_location' => 0,
        ],
    ]);
    $raw = @file_get_contents($url, false, $context);
    if ($raw === false) {
        $error = error_get_last();
        return [0, null, $error ? (string) $error['message'] : 'paydesk could not be reached'];
    }
    $status = 0;
    $headers = isset($http_response_header) ? $http_response_header : [];
    foreach ($headers as $line) {
        if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
            $status = (int) $m[1]; // the last status line wins (after any 100 Continue)
        }
    }
    $decoded = json_decode($raw, true);
    return [$status, is_array($decoded) ? $decoded : null, $raw];
}

/** Refund from the WHMCS admin area: paydesk refunds the Stripe charge recorded as the transaction id. */
function paydesk_refund($params)
{
    $base = paydesk_base_url(isset($params['paydeskUrl']) ? $params['paydeskUrl'] : '');
    $apiKey = isset($params['apiKey']) ? (string) $params['apiKey'] : '';
    $transId = isset($params['transid']) ? (string) $params['transid'] : '';
    $currency = strtoupper((string) (isset($params['currency']) ? $params['currency'] : ''));
    if ($base === '' || $apiKey === '') {
        return ['status' => 'error', 'rawdata' => 'paydesk URL or API key is not configured', 'transid' => '', 'fees' => 0];
    }
    if (!preg_match('/^(ch|py)_[A-Za-z0-9_]+$/', $transId)) {
        return [
            'status' => 'error',
            'rawdata' => 'transaction id ' . $transId . ' is not a Stripe charge id (ch_…): not paid through paydesk',
            'transid' => '',
            'fees' => 0,
        ];
    }
    $minor = paydesk_to_minor_units(isset($params['amount']) ? $params['amount'] : '', $currency);
    if ($minor === null || $minor <= 0 || !preg_match('/^[A-Z]{3}$/', $currency)) {
        return [
            'status' => 'error',
            'rawdata' => 'invalid refund amount ' . (isset($params['amount']) ? $params['amount'] : '') . ' ' . $currency,
            'transid' => '',
            'fees' => 0,
        ];
    }
    $body = [
        'charge' => $transId,
        'amount' => $minor,
        'currency' => strtolower($currency),
        'request_id' => 'whmcs:' . $transId . ':' . bin2hex(random_bytes(8)),
        'metadata' => ['whmcs_invoice' => (string) (isset($params['invoiceid']) ? $params['invoiceid'] : '')],
    ];
    list($status, $decoded, $raw) = paydesk_http_post_json($base . '/v1/refunds', $apiKey, $body);
    $rawdata = ['http_status' => $status, 'request' => $body, 'response' => $decoded !== null ? $decoded : $raw];
    if ($status === 0) {
        return ['status' => 'error', 'rawdata' => $rawdata, 'transid' => '', 'fees' => 0];
    }
    if (($status === 200 || $status === 201) && is_array($decoded) && isset($decoded['status'])) {
        $id = !empty($decoded['stripe_refund']) ? $decoded['stripe_refund'] : (isset($decoded['id']) ? $decoded['id'] : '');
        if (in_array($decoded['status'], ['succeeded', 'pending', 'processing', 'queued'], true)) {
            return ['status' => 'success', 'rawdata' => $rawdata, 'transid' => (string) $id, 'fees' => 0];
        }
        return ['status' => 'declined', 'rawdata' => $rawdata, 'transid' => (string) $id, 'fees' => 0];
    }
    if ($status === 402 || $status === 409) {
        return ['status' => 'declined', 'rawdata' => $rawdata, 'transid' => '', 'fees' => 0];
    }
    return ['status' => 'error', 'rawdata' => $rawdata, 'transid' => '', 'fees' => 0];
}
