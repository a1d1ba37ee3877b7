<?php
/**
 * Plugin Name: srs-node player
 * Description: Embeds a live stream of an srs-node server (its /players/ page: HLS, HTTP-FLV or WHEP) with the shortcode [srs_player stream="livestream"].
 * Version: 0.1.0
 * License: MIT
 *
 * Settings > srs-node player sets the server URL (e.g. https://video.example.com:2443). Shortcode attributes:
 * app (live), stream (livestream), type (hls, flv or whep), width (640), height (360), server (overrides the
 * setting). Every attribute is checked or escaped: the iframe's src is built with rawurlencode and esc_url.
 */

if (!defined('ABSPATH')) {
	exit; // not loaded by WordPress
}

const SRS_NODE_PLAYER_OPTION = 'srs_node_player_server';

/** The iframe for one stream; '' plus an HTML comment when the server URL is not set or not http(s). */
function srs_node_player_render($atts) {
	$a = shortcode_atts(
		array(
			'app'    => 'live',
			'stream' => 'livestream',
			'type'   => 'hls',
			'width'  => '640',
			'height' => '360',
			'server' => '',
		),
		is_array($atts) ? $atts : array(),
		'srs_player'
	);
	$server = $a['server'] !== '' ? $a['server'] : (string) get_option(SRS_NODE_PLAYER_OPTION, '');
	$server = rtrim(trim($server), '/');
	if (!preg_match('#^https?://[^/\s]+#i', $server)) {
		return '<!-- srs-node player: set the server URL in Settings > srs-node player (http:// or https://) -->';
	}
	$type = in_array($a['type'], array('hls', 'flv', 'whep'), true) ? $a['type'] : 'hls';
	$width = max(1, min(4096, (int) $a['width']));
	$height = max(1, min(4096, (int) $a['height']));
	$src = $server . '/players/?app=' . rawurlencode((string) $a['app']) . '&stream=' . rawurlencode((string) $a['stream']) . '&type=' . $type;
	return sprintf(
		'<iframe src="%s" width="%d" height="%d" title="%s" allow="autoplay; fullscreen" allowfullscreen style="border:0"></iframe>',
		esc_url($src),
		$width,
		$height,
		esc_attr((string) $a['app'] . '/' . (string) $a['stream'])
	);
}
add_shortcode('srs_player', 'srs_node_player_render');

/** The server URL setting: only http(s) URLs are kept. */
function srs_node_player_sanitize($value) {
	$value = trim((string) $value);
	return preg_match('#^https?://[^/\s]+#i', $value) ? esc_url_raw($value) : '';
}

function srs_node_player_settings() {
	register_setting('srs_node_player', SRS_NODE_PLAYER_OPTION, array('sanitize_callback' => 'srs_node_player_sanitize'));
}
add_action('admin_init', 'srs_node_player_settings');

function srs_node_player_page() {
	?>
	<div class="wrap">
		<h1>srs-node player</h1>
		<form method="post" action="options.php">
			<?php settings_fields('srs_node_player'); ?>
			<p><label for="srs_node_player_server">Server URL (the console's address, e.g. https://video.example.com:2443)</label></p>
			<p><input type="url" class="regular-text" id="srs_node_player_server" name="<?php echo esc_attr(SRS_NODE_PLAYER_OPTION); ?>" value="<?php echo esc_attr((string) get_option(SRS_NODE_PLAYER_OPTION, '')); ?>"></p>
			<p>Then put <code>[srs_player stream="livestream" type="hls"]</code> in a post (type: hls, flv or whep).</p>
			<?php submit_button(); ?>
		</form>
	</div>
	<?php
}

function srs_node_player_menu() {
	add_options_page('srs-node player', 'srs-node player', 'manage_options', 'srs-node-player', 'srs_node_player_page');
}
add_action('admin_menu', 'srs_node_player_menu');
