<?php
// Plain php-cli test of the paydesk module: `php tests/module_test.php` exits 0 when every assertion
// holds and prints each failure otherwise. No WHMCS needed: it defines the WHMCS constant itself.

define('WHMCS', true);
require __DIR__ . '/../modules/gateways/paydesk.php';

$failures = 0;
$count = 0;
function check($condition, $what)
{
    global $failures, $count;
    $count++;
    if (!$condition) {
        $failures++;
        fwrite(STDERR, "FAIL: $what\n");
    }
}

/** The hidden inputs of a rendered form, name => decoded value. */
function inputs($html)
{
    preg_match_all('/<input type="hidden" name="([^"]*)" value="([^"]*)">/', $html, $m, PREG_SET_ORDER);
    $out = [];
    foreach ($m as $row) {
        $out[html_entity_decode($row[1], ENT_QUOTES, 'UTF-8')] = html_entity_decode($row[2], ENT_QUOTES, 'UTF-8');
    }
    return $out;
}

$params = [
    'invoiceid' => 42,
    'amount' => '15.95',
    'currency' => 'usd',
    'clientdetails' => ['email' => 'ann+"x"@example.com', 'firstname' => 'Ann'],
    'systemurl' => 'https://billing.example.com/',
    'returnurl' => 'https://billing.example.com/viewinvoice.php?id=42',
    'langpaynow' => 'Pay <now>',
    'paymentmethod' => 'paydesk',
    'paydeskUrl' => 'https://pay.example.com/',
    'moduleSecret' => 's3cret',
    'apiKey' => 'pk_live_should_never_show',
    'testMode' => 'on',
];

// MetaData and config
$meta = paydesk_MetaData();
check($meta['APIVersion'] === '1.1', 'MetaData APIVersion 1.1');
check($meta['DisableLocalCreditCardInput'] === true, 'MetaData disables local card input');
$config = paydesk_config();
check($config['FriendlyName']['Type'] === 'System', 'config FriendlyName is a System entry');
foreach (['paydeskUrl' => 'text', 'moduleSecret' => 'password', 'apiKey' => 'password', 'testMode' => 'yesno'] as $key => $type) {
    check(isset($config[$key]) && $config[$key]['Type'] === $type, "config field $key is $type");
}
foreach (['currency', 'invoiceid', 'amount', 'returnurl', 'systemurl'] as $reserved) {
    check(!isset($config[$reserved]), "config does not use the standard param name $reserved");
}

// _link: form target, fields, escaping, signature
$before = time();
$html = paydesk_link($params);
$after = time();
check(strpos($html, 'action="https://pay.example.com/whmcs/pay"') !== false, 'form posts to <paydesk>/whmcs/pay (trailing slash normalised)');
check(strpos($html, 'method="post"') !== false, 'form method is post');
$f = inputs($html);
check(array_keys($f) === ['invoice_id', 'amount', 'currency', 'email', 'return_url', 'timestamp', 'signature'], 'hidden fields in order: ' . implode(',', array_keys($f)));
check($f['invoice_id'] === '42', 'invoice id posted');
check($f['amount'] === '15.95', 'amount posted as WHMCS gave it');
check($f['currency'] === 'USD', 'currency upper-cased');
check($f['email'] === 'ann+"x"@example.com', 'email round-trips through escaping');
check($f['return_url'] === 'https://billing.example.com/viewinvoice.php?id=42', 'return URL built from systemurl without a double slash');
check((int) $f['timestamp'] >= $before && (int) $f['timestamp'] <= $after, 'timestamp is now');
$expected = hash_hmac('sha256', "v1\n42\n15.95\nUSD\n" . 'ann+"x"@example.com' . "\nhttps://billing.example.com/viewinvoice.php?id=42\n" . $f['timestamp'], 's3cret');
check(hash_equals($expected, $f['signature']), 'signature = HMAC-SHA256 over v1 + the six fields, newline-joined');
check(strpos($html, '&quot;x&quot;') !== false && strpos($html, '"x"') === false, 'quotes in values are escaped');
check(strpos($html, 'Pay &lt;now&gt;</button>') !== false, 'button label escaped');
check(strpos($html, 'paydesk-test-mode') !== false, 'test-mode badge shown when testMode is on');
check(strpos($html, 's3cret') === false && strpos($html, 'pk_live_should_never_show') === false, 'no secret in the HTML');

$tampered = $f;
$tampered['amount'] = '0.01';
check(!hash_equals(paydesk_sign($tampered, 's3cret'), $f['signature']), 'changing the amount changes the signature');
check(!hash_equals(paydesk_sign($f, 'other'), $f['signature']), 'another secret gives another signature');

$off = $params;
$off['testMode'] = '';
check(strpos(paydesk_link($off), 'paydesk-test-mode') === false, 'no badge when testMode is off');
$noLabel = $params;
unset($noLabel['langpaynow']);
check(strpos(paydesk_link($noLabel), '>Pay Now</button>') !== false, 'default label Pay Now');

$unconfigured = $params;
$unconfigured['moduleSecret'] = '';
$u = paydesk_link($unconfigured);
check(strpos($u, '<form') === false && strpos($u, 'not configured') !== false, 'no form without a shared secret');
$badUrl = $params;
$badUrl['paydeskUrl'] = 'javascript:alert(1)';
check(strpos(paydesk_link($badUrl), '<form') === false, 'no form for a non-http paydesk URL');
$newline = $params;
$newline['clientdetails']['email'] = "a@example.com\nUSD";
check(strpos(paydesk_link($newline), '<form') === false, 'a newline in a signed value gives no form (no ambiguous signing)');

// money conversion
$cases = [
    ['15.95', 'USD', 1595], ['15.9', 'usd', 1590], ['15', 'USD', 1500], ['0.00', 'USD', 0],
    ['1000', 'JPY', 1000], ['1000.00', 'JPY', 1000], ['1000.50', 'JPY', null], ['1.234', 'KWD', 1234],
    ['1.235', 'USD', null], ['-1.00', 'USD', null], ['1e3', 'USD', null], ['abc', 'USD', null],
    ['12345678901234.99', 'EUR', 1234567890123499], ['0.10', 'EUR', 10], ['', 'USD', null],
];
foreach ($cases as $c) {
    check(paydesk_to_minor_units($c[0], $c[1]) === $c[2], "to_minor_units({$c[0]}, {$c[1]}) === " . var_export($c[2], true));
}

if ($failures > 0) {
    fwrite(STDERR, "$failures of $count assertions failed\n");
    exit(1);
}
echo "ok $count assertions\n";
