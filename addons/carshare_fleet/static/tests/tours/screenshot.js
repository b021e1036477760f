/** @odoo-module **/

/**
 * A tour step that has the test save the page as `<name>.png` (see
 * carshare_fleet/tests/screens.py) and waits until it is saved.
 */
export function screenshot(name, trigger = "body") {
    return {
        content: `Screenshot ${name}`,
        trigger,
        async run() {
            window.carshareScreenshot = undefined;
            console.log(`carshare-screenshot:${name}`);
            for (let waited = 0; window.carshareScreenshot !== name; waited += 50) {
                if (waited > 20000) {
                    throw new Error(`The screenshot ${name} was not saved`);
                }
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
        },
    };
}
